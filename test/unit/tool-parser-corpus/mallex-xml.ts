import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const READ = '<invoke name="Read">\n<parameter name="file_path">/src/index.ts</parameter>\n</invoke>';
const BASH = '<invoke name="Bash">\n<parameter name="command">ls -la | grep "x" > out.txt</parameter>\n<parameter name="timeout">5000</parameter>\n</invoke>';
const CODE = 'if (a < b) { return "</invoke>"; }\n// see </function_calls> docs\n<parameter name="x"> opens a value\n';
const WRITE = `<invoke name="Write">\n<parameter name="file_path">/docs/ü.md</parameter>\n<parameter name="content">${CODE}</parameter>\n</invoke>`;
const OPEN_COMPLETE = '<function_calls>\n<invoke name="Bash">\n<parameter name="command">ls</parameter>\n</invoke>\n';
const OPEN_CUT = '<function_calls>\n<invoke name="Write">\n<parameter name="content">hello wor';
const UNCLOSED = '<invoke name="Read">\n<parameter name="file_path">/a\n</invoke>\nthen text';
const NO_PARAMS = '<invoke name="TaskList"></invoke>';

export const mallexXmlCorpus: readonly CorpusEntry[] = [
  {
    name: "wrapper with one call after text",
    input: `Reading.\n<function_calls>\n${READ}\n</function_calls>`,
    expected: [text("Reading.\n"), call("Read", { file_path: "/src/index.ts" }, `<function_calls>\n${READ}\n</function_calls>`, true)],
  },
  {
    name: "wrapper with two calls and text after",
    input: `<function_calls>\n${READ}\n${BASH}\n</function_calls>\nOK`,
    expected: [
      call("Read", { file_path: "/src/index.ts" }, READ, true),
      call("Bash", { command: 'ls -la | grep "x" > out.txt', timeout: "5000" }, BASH, true),
      text("\nOK"),
    ],
  },
  {
    name: "lone invoke between text",
    input: `Let me run it: ${BASH} — done`,
    expected: [text("Let me run it: "), call("Bash", { command: 'ls -la | grep "x" > out.txt', timeout: "5000" }, BASH, true), text(" — done")],
  },
  {
    name: "value holding every end marker",
    input: `<function_calls>\n${WRITE}\n</function_calls>`,
    expected: [call("Write", { file_path: "/docs/ü.md", content: CODE }, `<function_calls>\n${WRITE}\n</function_calls>`, true)],
  },
  {
    name: "unterminated but whole",
    input: OPEN_COMPLETE,
    expected: [call("Bash", { command: "ls" }, OPEN_COMPLETE, true)],
  },
  {
    name: "unterminated and cut off",
    input: OPEN_CUT,
    expected: [invalid(OPEN_CUT, 'parameter "content" of the tool call is not closed')],
  },
  {
    // The call's own end came: its last value ends there (as vLLM's and llama.cpp's parsers recover it).
    name: "a parameter left open in a closed call ends with the call",
    input: UNCLOSED,
    expected: [
      call(
        "Read",
        { file_path: "/a" },
        '<invoke name="Read">\n<parameter name="file_path">/a\n</invoke>',
        true,
        'the missing </parameter> of parameter "file_path"',
      ),
      text("\nthen text"),
    ],
  },
  {
    name: "stray words between calls",
    input: `<function_calls>\n${READ}\nand also\n${BASH}\n</function_calls>`,
    expected: [
      call("Read", { file_path: "/src/index.ts" }, READ, true),
      invalid("and also", "unexpected text between tool calls"),
      call("Bash", { command: 'ls -la | grep "x" > out.txt', timeout: "5000" }, BASH, true),
    ],
  },
  {
    name: "one call with stray words before it inside the wrapper",
    input: `<function_calls>\nsure\n${READ}\n</function_calls>`,
    expected: [invalid("sure", "unexpected text between tool calls"), call("Read", { file_path: "/src/index.ts" }, READ, true)],
  },
  { name: "call without parameters", input: NO_PARAMS, expected: [call("TaskList", {}, NO_PARAMS, true)] },
  {
    name: "prose mentioning tags",
    input: "Use <invoke> or <function_call",
    expected: [text("Use <invoke> or <function_call")],
  },
  {
    name: "empty wrapper",
    input: "<function_calls>\n</function_calls>",
    expected: [invalid("<function_calls>\n</function_calls>", "the tool call block holds no call")],
  },
];
