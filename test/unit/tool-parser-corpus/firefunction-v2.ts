import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const TWO = ' functools[{"name": "Read", "arguments": {"file_path": "/a"}}, {"name": "Glob", "arguments": {"pattern": "*"}}]';

export const firefunctionV2Corpus: readonly CorpusEntry[] = [
  {
    name: "two calls as the whole output",
    input: TWO,
    expected: [text(" "), call("Read", { file_path: "/a" }, TWO.trimStart(), false), call("Glob", { pattern: "*" }, TWO.trimStart(), false)],
  },
  {
    name: "text after the list",
    input: 'functools[{"name": "Read", "arguments": {"file_path": "/a"}}] then wait',
    expected: [call("Read", { file_path: "/a" }, 'functools[{"name": "Read", "arguments": {"file_path": "/a"}}]', false), text(" then wait")],
  },
  {
    name: "cut off inside a string",
    input: 'functools[{"name": "Re',
    expected: [invalid('functools[{"name": "Re', "the tool call is not valid JSON")],
  },
  {
    name: "prose mentioning the module",
    input: "Use functools.partial here.",
    expected: [text("Use functools.partial here.")],
  },
];
