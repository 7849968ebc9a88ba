import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const HTML = '<div class="x">a < b && c > d</div>\n<p>ünïcødé 😀</p>';
const WRITE = `<tool_call>\n<function=Write>\n<parameter=file_path>\n/tmp/a.html\n</parameter>\n<parameter=content>\n${HTML}\n</parameter>\n</function>\n</tool_call>`;
const BARE = "<function=Bash>\n<parameter=command>\nls -la\n</parameter>\n</function>";
const READ = "<tool_call>\n<function=Read>\n<parameter=file_path>\n/a.ts\n</parameter>\n<parameter=offset>\n10\n</parameter>\n</function>\n</tool_call>";
const TRICKY_VALUE = 'const s = "</parameter>";\nconst t = "</tool_call>";\n';
const TRICKY = `<tool_call>\n<function=Write>\n<parameter=content>\n${TRICKY_VALUE}\n</parameter>\n</function>\n</tool_call>`;
const UNCLOSED = "<tool_call>\n<function=Read>\n<parameter=file_path>\n/a\n</tool_call>\nmore";
const OPEN_COMPLETE = "<tool_call>\n<function=Glob>\n<parameter=pattern>\n**/*.ts\n</parameter>\n</function>\n";
const OPEN_CUT = "<tool_call>\n<function=Write>\n<parameter=content>\nhello";
const NO_ARGS = "<tool_call>\n<function=TaskList>\n</function>\n</tool_call>";
const JSON_INSIDE = '<tool_call>\n{"name": "Read", "arguments": {"file_path": "/a"}}\n</tool_call>';
const GARBAGE = "<tool_call>hello</tool_call>";
const TWO_FUNCTIONS =
  "<tool_call>\n<function=Read>\n<parameter=file_path>\n/a\n</parameter>\n</function>\n<function=Read>\n<parameter=file_path>\n/b\n</parameter>\n</function>\n</tool_call>";
const FN_A = "<function=Read>\n<parameter=file_path>\n/a\n</parameter>\n</function>";
const FN_B = "<function=Read>\n<parameter=file_path>\n/b\n</parameter>\n</function>";
const KEEP_NEWLINES = "<function=Write>\n<parameter=content>\n\nline1\n\n</parameter>\n</function>";

const DOC = `Calls look like this:\n${READ}\n`;
const WRITE_DOC = `<tool_call>\n<function=Write>\n<parameter=file_path>\n/calls.md\n</parameter>\n<parameter=content>\n${DOC}\n</parameter>\n</function>\n</tool_call>`;

const NO_PARAMETER_CLOSE = "<tool_call>\n<function=Read>\n<parameter=file_path>\n/a.ts\n</function>\n</tool_call>";

// Qwen3-Coder sometimes goes on to the next <parameter=…> without closing the one before.
const NEXT_WITHOUT_CLOSE =
  "<tool_call>\n<function=Write>\n<parameter=file_path>\n/src/a.ts\n<parameter=content>\nexport const a = 1;\n</parameter>\n</function>\n</tool_call>";
const TWO_WITHOUT_CLOSE =
  "<function=Bash>\n<parameter=command>\nnpm test\n<parameter=timeout>\n60000\n<parameter=description>\nRun the tests\n</parameter>\n</function>";
// The other side: a value that names a tag inside its own text (the tag shares its line) keeps it.
const NAMED_TAG_VALUE = "Each value opens with <parameter=name> and ends later.\n<parameter=name> alone would not.";
const NAMED_TAG = `<tool_call>\n<function=Write>\n<parameter=file_path>\n/notes.md\n</parameter>\n<parameter=content>\n${NAMED_TAG_VALUE}\n</parameter>\n</function>\n</tool_call>`;

export const qwen3CoderCorpus: readonly CorpusEntry[] = [
  {
    name: "a parameter whose </parameter> is missing before the next <parameter=…>: each read, the call repaired",
    input: `Writing it.\n${NEXT_WITHOUT_CLOSE}`,
    expected: [
      text("Writing it.\n"),
      call("Write", { file_path: "/src/a.ts", content: "export const a = 1;" }, NEXT_WITHOUT_CLOSE, true, 'the missing </parameter> of parameter "file_path"'),
    ],
  },
  {
    name: "two parameters missing their </parameter> in a bare call",
    input: TWO_WITHOUT_CLOSE,
    expected: [
      call(
        "Bash",
        { command: "npm test", timeout: "60000", description: "Run the tests" },
        TWO_WITHOUT_CLOSE,
        true,
        'the missing </parameter> of parameter "command", parameter "timeout"',
      ),
    ],
  },
  {
    name: "a value naming a <parameter=…> tag in its own lines keeps it",
    input: NAMED_TAG,
    expected: [call("Write", { file_path: "/notes.md", content: NAMED_TAG_VALUE }, NAMED_TAG, true)],
  },
  {
    name: "a closed call whose last parameter misses its </parameter>: the value ends with the call",
    input: NO_PARAMETER_CLOSE,
    expected: [call("Read", { file_path: "/a.ts" }, NO_PARAMETER_CLOSE, true, 'the missing </parameter> of parameter "file_path"')],
  },
  {
    name: "a Write whose content holds a whole call: the file is written whole, the inner call not run",
    input: WRITE_DOC,
    expected: [call("Write", { file_path: "/calls.md", content: DOC }, WRITE_DOC, true)],
  },
  {
    // Ollama#17742: a bare call, then the wrapper's closing tag alone (about one tool turn in five).
    name: "a stray </tool_call> after a bare call is the call's leftover",
    input: `${BARE}\n</tool_call>`,
    expected: [call("Bash", { command: "ls -la" }, BARE, true)],
  },
  {
    name: "a stray </tool_call> and an end token after a wrapped call, then prose that goes on",
    input: `${READ}\n</tool_call>\n<|im_end|>\nDone.`,
    expected: [call("Read", { file_path: "/a.ts", offset: "10" }, READ, true), text("\nDone.")],
  },
  {
    name: "a closing tag that is not right after a call stays text",
    input: "The wrapper ends with </tool_call> in Qwen's format.",
    expected: [text("The wrapper ends with </tool_call> in Qwen's format.")],
  },
  {
    name: "text then a wrapped call with multi-line HTML",
    input: `I'll write the file.\n${WRITE}`,
    expected: [text("I'll write the file.\n"), call("Write", { file_path: "/tmp/a.html", content: HTML }, WRITE, true)],
  },
  {
    name: "bare function without the wrapper",
    input: `Checking.\n${BARE}\nDone`,
    expected: [text("Checking.\n"), call("Bash", { command: "ls -la" }, BARE, true), text("\nDone")],
  },
  {
    name: "two wrapped calls",
    input: `${READ}\n${WRITE}`,
    expected: [
      call("Read", { file_path: "/a.ts", offset: "10" }, READ, true),
      text("\n"),
      call("Write", { file_path: "/tmp/a.html", content: HTML }, WRITE, true),
    ],
  },
  {
    name: "end markers inside a value",
    input: TRICKY,
    expected: [call("Write", { content: TRICKY_VALUE }, TRICKY, true)],
  },
  {
    name: "unclosed parameter swallows the rest",
    input: UNCLOSED,
    expected: [invalid(UNCLOSED, 'parameter "file_path" of the tool call is not closed')],
  },
  {
    name: "unterminated but whole",
    input: OPEN_COMPLETE,
    expected: [call("Glob", { pattern: "**/*.ts" }, OPEN_COMPLETE, true)],
  },
  {
    name: "unterminated and cut off",
    input: OPEN_CUT,
    expected: [invalid(OPEN_CUT, 'parameter "content" of the tool call is not closed')],
  },
  { name: "call without parameters", input: NO_ARGS, expected: [call("TaskList", {}, NO_ARGS, true)] },
  {
    name: "Hermes JSON inside the wrapper",
    input: JSON_INSIDE,
    expected: [call("Read", { file_path: "/a" }, JSON_INSIDE, false)],
  },
  {
    name: "wrapper without a function",
    input: GARBAGE,
    expected: [invalid(GARBAGE, "the tool call block holds no call")],
  },
  {
    name: "two functions in one wrapper",
    input: TWO_FUNCTIONS,
    expected: [call("Read", { file_path: "/a" }, FN_A, true), call("Read", { file_path: "/b" }, FN_B, true)],
  },
  {
    name: "only one layout newline is trimmed",
    input: KEEP_NEWLINES,
    expected: [call("Write", { content: "\nline1\n" }, KEEP_NEWLINES, true)],
  },
  {
    name: "prose mentioning a partial marker",
    input: "use <function and <tool_call",
    expected: [text("use <function and <tool_call")],
  },
];
