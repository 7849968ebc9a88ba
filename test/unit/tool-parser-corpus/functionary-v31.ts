import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const READ = '<function=Read>{"file_path": "/a.ts"}</function>';
const BASH = '<function=Bash>{"command": "grep -r \\"</function>\\" src"}</function>';

export const functionaryV31Corpus: readonly CorpusEntry[] = [
  {
    name: "prose then two calls",
    input: `Looking.\n${READ}\n${BASH}`,
    expected: [
      text("Looking.\n"),
      call("Read", { file_path: "/a.ts" }, READ, false),
      text("\n"),
      call("Bash", { command: 'grep -r "</function>" src' }, BASH, false),
    ],
  },
  {
    name: "unterminated, only closers missing",
    input: '<function=Read>{"file_path": "/a.ts"',
    expected: [call("Read", { file_path: "/a.ts" }, '<function=Read>{"file_path": "/a.ts"', false, "JSON cut off, closed")],
  },
  {
    name: "broken JSON",
    input: "<function=Read>{file_path: /a}</function>",
    expected: [invalid("<function=Read>{file_path: /a}</function>", "the tool call's arguments are not valid JSON")],
  },
  {
    name: "trailing comma and single quotes are repaired",
    input: "<function=Read>{'file_path': '/a', }</function>",
    expected: [call("Read", { file_path: "/a" }, "<function=Read>{'file_path': '/a', }</function>", false, "JSON repaired")],
  },
  {
    name: "prose mentioning a partial marker",
    input: "Write <function then a name.",
    expected: [text("Write <function then a name.")],
  },
];
