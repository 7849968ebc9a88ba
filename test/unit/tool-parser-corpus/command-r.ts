import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const R7B =
  '<|START_ACTION|>[\n    {"tool_call_id": "0", "tool_name": "Read", "parameters": {"file_path": "/a"}},\n    {"tool_call_id": "1", "tool_name": "Glob", "parameters": {"pattern": "*.md"}}\n]<|END_ACTION|>';
const R_PLUS = 'Action: ```json\n[\n    {\n        "tool_name": "Bash",\n        "parameters": {"command": "ls ```"}\n    }\n]\n```';

export const commandRCorpus: readonly CorpusEntry[] = [
  {
    name: "Command R7B action with two calls after prose",
    input: `I will look at both.${R7B}`,
    expected: [text("I will look at both."), call("Read", { file_path: "/a" }, R7B, false), call("Glob", { pattern: "*.md" }, R7B, false)],
  },
  {
    name: "Command R+ fenced action, fence inside a string",
    input: `${R_PLUS}\n`,
    expected: [call("Bash", { command: "ls ```" }, R_PLUS, false), text("\n")],
  },
  {
    name: "unterminated action, only closers missing",
    input: '<|START_ACTION|>[{"tool_name": "Read", "parameters": {"file_path": "/a"}}',
    expected: [call("Read", { file_path: "/a" }, '<|START_ACTION|>[{"tool_name": "Read", "parameters": {"file_path": "/a"}}', false, "JSON cut off, closed")],
  },
  {
    name: "broken action",
    input: "<|START_ACTION|>[{tool_name: Read}]<|END_ACTION|>",
    expected: [invalid("<|START_ACTION|>[{tool_name: Read}]<|END_ACTION|>", "the tool call is not valid JSON")],
  },
  {
    name: "prose mentioning a partial marker",
    input: "Action: take a break.",
    expected: [text("Action: take a break.")],
  },
];
