import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const TWO = '<TOOLCALL>[{"name": "Read", "arguments": {"file_path": "/a"}}, {"name": "Grep", "arguments": {"pattern": "</TOOLCALL>"}}]</TOOLCALL>';

export const nemotronCorpus: readonly CorpusEntry[] = [
  {
    name: "prose then two calls, end marker inside a string",
    input: `Sure.\n${TWO}`,
    expected: [text("Sure.\n"), call("Read", { file_path: "/a" }, TWO, false), call("Grep", { pattern: "</TOOLCALL>" }, TWO, false)],
  },
  {
    name: "unterminated, only closers missing",
    input: '<TOOLCALL>[{"name": "Read", "arguments": {"file_path": "/a"}}',
    expected: [call("Read", { file_path: "/a" }, '<TOOLCALL>[{"name": "Read", "arguments": {"file_path": "/a"}}', false, "JSON cut off, closed")],
  },
  {
    name: "cut off after a comma: not repaired",
    input: '<TOOLCALL>[{"name": "Read", "arguments": {"file_path": "/a",',
    expected: [invalid('<TOOLCALL>[{"name": "Read", "arguments": {"file_path": "/a",', "the tool call is not valid JSON")],
  },
  {
    name: "prose mentioning a partial marker",
    input: "Nemotron uses <TOOLCAL tags.",
    expected: [text("Nemotron uses <TOOLCAL tags.")],
  },
];
