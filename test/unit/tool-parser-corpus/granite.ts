import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const T = "<|tool_call|>";
const ONE = `${T}[{"name": "get_current_weather", "arguments": {"location": "Boston, MA"}}]`;
const TWO = `${T}[{"name": "Read", "arguments": {"file_path": "/a"}}, {"name": "Read", "arguments": {"file_path": "/b"}}]`;
const PHI = `${T}[{"name": "Bash", "arguments": {"command": "ls"}}]<|/tool_call|>`;

export const graniteCorpus: readonly CorpusEntry[] = [
  {
    name: "Granite 3 call as the whole output",
    input: ONE,
    expected: [call("get_current_weather", { location: "Boston, MA" }, ONE, false)],
  },
  {
    name: "prose then two calls in one list",
    input: `Reading both.${TWO}`,
    expected: [text("Reading both."), call("Read", { file_path: "/a" }, TWO, false), call("Read", { file_path: "/b" }, TWO, false)],
  },
  {
    name: "Phi-4-mini's closing tag belongs to the call; text after stays text",
    input: `${PHI}\nWaiting for the result.`,
    expected: [call("Bash", { command: "ls" }, PHI, false), text("\nWaiting for the result.")],
  },
  {
    name: "missing closers at the end are added",
    input: `${T}[{"name": "Bash", "arguments": {"command": "ls"}`,
    expected: [call("Bash", { command: "ls" }, `${T}[{"name": "Bash", "arguments": {"command": "ls"}`, false, "JSON cut off, closed")],
  },
  {
    name: "cut off inside a string",
    input: `${T}[{"name": "Bash", "arguments": {"command": "l`,
    expected: [invalid(`${T}[{"name": "Bash", "arguments": {"command": "l`, "the tool call is not valid JSON")],
  },
  {
    // Without an end marker, words after the marker read like the marker named in prose: text, no note.
    name: "not JSON after the marker",
    input: `${T}get_weather(Boston)`,
    expected: [text(`${T}get_weather(Boston)`)],
  },
  {
    name: "prose mentioning a partial marker",
    input: "Granite writes <|tool_ then JSON.",
    expected: [text("Granite writes <|tool_ then JSON.")],
  },
];
