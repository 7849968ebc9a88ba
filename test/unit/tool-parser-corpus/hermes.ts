import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const READ = '<tool_call>\n{"name": "Read", "arguments": {"file_path": "/src/app.ts"}}\n</tool_call>';
const GREP = '<tool_call>\n{"name": "Grep", "arguments": {"pattern": "TODO", "path": "src"}}\n</tool_call>';
const CODE = 'if (a < b && c > d) {\n  return "</tool_call>";\n}\n';
const WRITE = `<tool_call>\n{"name": "Write", "arguments": {"file_path": "/src/x.ts", "content": ${JSON.stringify(CODE)}}}\n</tool_call>`;
const UNICODE = '<tool_call>{"name": "WebSearch", "arguments": {"query": "東京の天気 ☀️ 😀"}}</tool_call>';
const BAD = '<tool_call>\n{"name": "Read", "arguments": {"file_path": }\n</tool_call>';
const OPEN_COMPLETE = '<tool_call>\n{"name": "Bash", "arguments": {"command": "ls -la"}}\n';
const OPEN_CUT = '<tool_call>\n{"name": "Bash", "argu';
// Qwen2.5-Coder fences the JSON inside the tags, and fences the tags too.
const FENCED_INSIDE = '<tool_call>\n```json\n{"name": "Read", "arguments": {"file_path": "/a"}}\n```\n</tool_call>';
const FENCED_INSIDE_CUT = '<tool_call>\n```json\n{"name": "Read", "arguments": {"file_path": "/a"}}';
const STRING_ARGS = '<tool_call>{"name": "Read", "arguments": "{\\"file_path\\": \\"/a\\"}"}</tool_call>';
const ARRAY = '<tool_call>[{"name": "Read", "arguments": {"file_path": "/a"}}, {"name": "Read", "arguments": {"file_path": "/b"}}]</tool_call>';
const NOT_A_CALL = '<tool_call>["Read"]</tool_call>';
const TRAILING_COMMA = '<tool_call>{"name": "Grep", "arguments": {"pattern": "x", "path": "src",},}</tool_call>';
const PYTHON_STYLE = "<tool_call>{'name': 'Bash', 'arguments': {'command': 'ls', 'run_in_background': False, 'timeout': None}}</tool_call>";
const DOUBLE_ENCODED = '<tool_call>{"name": "Read", "arguments": "\\"{\\\\\\"file_path\\\\\\": \\\\\\"/a\\\\\\"}\\""}</tool_call>';
const MISSING_CLOSERS = '<tool_call>\n{"name": "Edit", "arguments": {"file_path": "/a", "old_string": "x", "new_string": "y"}';
const MISSING_VALUE = '<tool_call>\n{"name": "Edit", "arguments": {"file_path": ';
const ENDS_ON_NUMBER = '<tool_call>{"name": "Read", "arguments": {"file_path": "/a", "limit": 20';
const NESTED = '<tool_call>{"type": "function", "function": {"name": "Bash", "parameters": {"command": "pwd"}}}</tool_call>';

const TOOLS_WRAPPED = '<tools>\n{"name": "Write", "arguments": {"file_path": "/tmp/p/hello.txt", "content": "Hello from mallex"}}\n</tools>';
const FUNCTION_CALL_WRAPPED = '<function_call>{"name": "Read", "arguments": {"file_path": "/a"}}</function_call>';
const JSON_FENCED_WRAPPED = '<json>\n```json\n{"name": "Read", "arguments": {"file_path": "/a"}}\n```\n</json>';

export const hermesCorpus: readonly CorpusEntry[] = [
  {
    name: "plain text with angle brackets",
    input: "2 < 3 and <b>bold</b> <tool",
    expected: [text("2 < 3 and <b>bold</b> <tool")],
  },
  {
    name: "text then one call",
    input: `Let me read it.\n${READ}`,
    expected: [text("Let me read it.\n"), call("Read", { file_path: "/src/app.ts" }, READ, false)],
  },
  {
    name: "two calls and text after",
    input: `${READ}\n${GREP}\nDone.`,
    expected: [
      call("Read", { file_path: "/src/app.ts" }, READ, false),
      text("\n"),
      call("Grep", { pattern: "TODO", path: "src" }, GREP, false),
      text("\nDone."),
    ],
  },
  {
    name: "multi-line code holding the end marker inside a JSON string",
    input: `Writing.${WRITE}`,
    expected: [text("Writing."), call("Write", { file_path: "/src/x.ts", content: CODE }, WRITE, false)],
  },
  {
    name: "unicode",
    input: `天気: ${UNICODE} ✓`,
    expected: [text("天気: "), call("WebSearch", { query: "東京の天気 ☀️ 😀" }, UNICODE, false), text(" ✓")],
  },
  {
    name: "malformed JSON",
    input: `${BAD}after`,
    expected: [invalid(BAD, "the tool call is not valid JSON"), text("after")],
  },
  {
    name: "unterminated but whole",
    input: `x${OPEN_COMPLETE}`,
    expected: [text("x"), call("Bash", { command: "ls -la" }, OPEN_COMPLETE, false)],
  },
  {
    name: "unterminated and cut off",
    input: OPEN_CUT,
    expected: [invalid(OPEN_CUT, "the tool call is not valid JSON")],
  },
  {
    name: "arguments as a JSON string",
    input: STRING_ARGS,
    expected: [call("Read", { file_path: "/a" }, STRING_ARGS, false)],
  },
  {
    name: "array of calls in one block",
    input: ARRAY,
    expected: [call("Read", { file_path: "/a" }, ARRAY, false), call("Read", { file_path: "/b" }, ARRAY, false)],
  },
  {
    name: "JSON that is not a call",
    input: NOT_A_CALL,
    expected: [invalid(NOT_A_CALL, "the tool call is not a JSON object with a name")],
  },
  {
    name: "OpenAI-shaped nesting",
    input: NESTED,
    expected: [call("Bash", { command: "pwd" }, NESTED, false)],
  },
  {
    name: "repair: trailing commas",
    input: TRAILING_COMMA,
    expected: [call("Grep", { pattern: "x", path: "src" }, TRAILING_COMMA, false, "JSON repaired")],
  },
  {
    name: "repair: single quotes and Python literals",
    input: PYTHON_STYLE,
    expected: [call("Bash", { command: "ls", run_in_background: false, timeout: null }, PYTHON_STYLE, false, "JSON repaired")],
  },
  {
    name: "repair: arguments encoded twice as a JSON string",
    input: DOUBLE_ENCODED,
    expected: [call("Read", { file_path: "/a" }, DOUBLE_ENCODED, false)],
  },
  {
    name: "repair: output ends where only the closers are missing",
    input: `Editing.${MISSING_CLOSERS}`,
    expected: [text("Editing."), call("Edit", { file_path: "/a", old_string: "x", new_string: "y" }, MISSING_CLOSERS, false, "JSON cut off, closed")],
  },
  {
    name: "no repair: a value is missing, not just closers",
    input: MISSING_VALUE,
    expected: [invalid(MISSING_VALUE, "the tool call is not valid JSON")],
  },
  {
    name: "no repair: a number at the cut may itself be cut short",
    input: ENDS_ON_NUMBER,
    expected: [invalid(ENDS_ON_NUMBER, "the tool call is not valid JSON")],
  },
  {
    name: "JSON fenced inside the tags",
    input: `Reading.\n${FENCED_INSIDE}`,
    expected: [text("Reading.\n"), call("Read", { file_path: "/a" }, FENCED_INSIDE, false)],
  },
  {
    name: "JSON fenced inside the tags, the answer ending before the fence closes",
    input: FENCED_INSIDE_CUT,
    expected: [call("Read", { file_path: "/a" }, FENCED_INSIDE_CUT, false)],
  },
  {
    name: "tags fenced, the JSON in them fenced again",
    input: `\`\`\`\n${FENCED_INSIDE}\n\`\`\``,
    expected: [call("Read", { file_path: "/a" }, FENCED_INSIDE, false)],
  },
  {
    name: "a fenced snippet of other code between the tags stays a broken call, not a call",
    input: "<tool_call>\n```python\nprint(1)\n```\n</tool_call>",
    expected: [invalid("<tool_call>\n```python\nprint(1)\n```\n</tool_call>", "the tool call is not valid JSON")],
  },
  {
    // The fence around the quoted call closes in the answer's Markdown, so the call after it is in call position.
    name: "a call after a fenced call that prose showed to be quoted",
    input: `\`\`\`\n${READ}\n\`\`\`\nThat is the shape. Running it:\n${READ}`,
    expected: [text(`\`\`\`\n${READ}\n\`\`\`\nThat is the shape. Running it:\n`), call("Read", { file_path: "/src/app.ts" }, READ, false)],
  },
  {
    // Qwen2.5-Coder-1.5B's own output through mallex, wrapped in the tag its prompt lists functions in.
    name: "a call wrapped in <tools> (taken, as llama.cpp takes it)",
    input: TOOLS_WRAPPED,
    expected: [call("Write", { file_path: "/tmp/p/hello.txt", content: "Hello from mallex" }, TOOLS_WRAPPED, false)],
  },
  {
    name: "the other wrappers llama.cpp takes, fenced JSON included",
    input: `${FUNCTION_CALL_WRAPPED}\n${JSON_FENCED_WRAPPED}`,
    expected: [call("Read", { file_path: "/a" }, FUNCTION_CALL_WRAPPED, false), text("\n"), call("Read", { file_path: "/a" }, JSON_FENCED_WRAPPED, false)],
  },
  {
    name: "a wrapper tag around anything but a named call is text",
    input: 'Put it in <json>{"port": 8080}</json> or <response>ok</response>; the <tools> tag lists them.',
    expected: [text('Put it in <json>{"port": 8080}</json> or <response>ok</response>; the <tools> tag lists them.')],
  },
];
