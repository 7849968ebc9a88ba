import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const TWO = '<tool_calls>[{"name": "Read", "arguments": {"file_path": "/a"}}, {"name": "Bash", "arguments": {"command": "ls"}}]</tool_calls>';

export const aprielCorpus: readonly CorpusEntry[] = [
  {
    name: "prose then two calls",
    input: `On it.\n${TWO}`,
    expected: [text("On it.\n"), call("Read", { file_path: "/a" }, TWO, false), call("Bash", { command: "ls" }, TWO, false)],
  },
  {
    name: "unterminated, only closers missing",
    input: '<tool_calls>[{"name": "Read", "arguments": {"file_path": "/a"}}',
    expected: [call("Read", { file_path: "/a" }, '<tool_calls>[{"name": "Read", "arguments": {"file_path": "/a"}}', false, "JSON cut off, closed")],
  },
  {
    name: "broken JSON",
    input: "<tool_calls>[{name: Read}]</tool_calls>",
    expected: [invalid("<tool_calls>[{name: Read}]</tool_calls>", "the tool call is not valid JSON")],
  },
  {
    name: "prose mentioning a partial marker",
    input: "Apriel writes <tool_call and then JSON.",
    expected: [text("Apriel writes <tool_call and then JSON.")],
  },
];
