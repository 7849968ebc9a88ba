import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

// As mlx-lm's deepseek_v32 template and sglang's DeepSeekV32Detector write them (U+FF5C bars).
const READ =
  '<｜DSML｜invoke name="Read">\n<｜DSML｜parameter name="file_path" string="true">/src/main.ts</｜DSML｜parameter>\n<｜DSML｜parameter name="limit" string="false">40</｜DSML｜parameter>\n</｜DSML｜invoke>';
const BASH = '<｜DSML｜invoke name="Bash">\n<｜DSML｜parameter name="command" string="true">npm test -- --run</｜DSML｜parameter>\n</｜DSML｜invoke>';
const ONE = `<｜DSML｜function_calls>\n${READ}\n</｜DSML｜function_calls>`;
const TWO = `<｜DSML｜function_calls>\n${READ}\n${BASH}\n</｜DSML｜function_calls>`;
const CODE = 'const end = "</｜DSML｜function_calls>";\nif (a < b) return "</｜DSML｜invoke>";\n';
const WRITE = `<｜DSML｜function_calls>\n<｜DSML｜invoke name="Write">\n<｜DSML｜parameter name="file_path" string="true">/t.ts</｜DSML｜parameter>\n<｜DSML｜parameter name="content" string="true">${CODE}</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls>`;
const JSON_ARGS = '<｜DSML｜function_calls>\n<｜DSML｜invoke name="Grep">\n{"pattern": "TODO", "path": "/src"}\n</｜DSML｜invoke>\n</｜DSML｜function_calls>';
const OPEN_CUT = '<｜DSML｜function_calls>\n<｜DSML｜invoke name="Write">\n<｜DSML｜parameter name="content" string="true">hal';

const DOC = `Calls look like this:\n${ONE}\n`;
const WRITE_DOC = `<｜DSML｜function_calls>\n<｜DSML｜invoke name="Write">\n<｜DSML｜parameter name="file_path" string="true">/calls.md</｜DSML｜parameter>\n<｜DSML｜parameter name="content" string="true">${DOC}</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls>`;

// DeepSeek V4 keeps V3.2's invoke and parameter tags under another wrapper (vLLM's DeepSeekV4ToolParser).
const V4_ONE = `<｜DSML｜tool_calls>\n${READ}\n</｜DSML｜tool_calls>`;
const V4_TWO = `<｜DSML｜tool_calls>\n${READ}\n${BASH}\n</｜DSML｜tool_calls>`;
const V4_CODE = 'const end = "</｜DSML｜tool_calls>";\nif (a < b) return "</｜DSML｜invoke>";\n';
const V4_WRITE = `<｜DSML｜tool_calls>\n<｜DSML｜invoke name="Write">\n<｜DSML｜parameter name="file_path" string="true">/t.ts</｜DSML｜parameter>\n<｜DSML｜parameter name="content" string="true">${V4_CODE}</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>`;
const V4_DOC = `V4 calls look like this:\n${V4_ONE}\n`;
const V4_WRITE_DOC = `<｜DSML｜tool_calls>\n<｜DSML｜invoke name="Write">\n<｜DSML｜parameter name="file_path" string="true">/calls.md</｜DSML｜parameter>\n<｜DSML｜parameter name="content" string="true">${V4_DOC}</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>`;
const V4_JSON_ARGS = '<｜DSML｜tool_calls>\n<｜DSML｜invoke name="Grep">\n{"pattern": "TODO"}\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>';

export const deepseekDsmlCorpus: readonly CorpusEntry[] = [
  {
    name: "V4's <｜DSML｜tool_calls> wrapper: prose then one call",
    input: `Let me read the entry point.\n\n${V4_ONE}`,
    expected: [text("Let me read the entry point.\n\n"), call("Read", { file_path: "/src/main.ts", limit: "40" }, V4_ONE, true)],
  },
  {
    name: "V4's wrapper: two calls in one section, text after",
    input: `${V4_TWO}\nRunning both.`,
    expected: [
      call("Read", { file_path: "/src/main.ts", limit: "40" }, READ, true),
      call("Bash", { command: "npm test -- --run" }, BASH, true),
      text("\nRunning both."),
    ],
  },
  {
    name: "V4's wrapper: a value holding its end markers",
    input: V4_WRITE,
    expected: [call("Write", { file_path: "/t.ts", content: V4_CODE }, V4_WRITE, true)],
  },
  {
    name: "V4's wrapper: a Write whose content holds a whole V4 call, written whole",
    input: V4_WRITE_DOC,
    expected: [call("Write", { file_path: "/calls.md", content: V4_DOC }, V4_WRITE_DOC, true)],
  },
  {
    name: "V4's wrapper: arguments as one JSON object",
    input: V4_JSON_ARGS,
    expected: [call("Grep", { pattern: "TODO" }, V4_JSON_ARGS, false)],
  },
  {
    name: "V4's wrapper named in inline code stays text",
    input: "DeepSeek V4 opens its calls with `<｜DSML｜tool_calls>`.",
    expected: [text("DeepSeek V4 opens its calls with `<｜DSML｜tool_calls>`.")],
  },
  {
    name: "a Write whose content holds a whole call: the file is written whole, the inner call not run",
    input: WRITE_DOC,
    expected: [call("Write", { file_path: "/calls.md", content: DOC }, WRITE_DOC, true)],
  },
  {
    name: "prose then one call, a string and a JSON parameter",
    input: `I'll read the entry point first.\n\n${ONE}`,
    expected: [text("I'll read the entry point first.\n\n"), call("Read", { file_path: "/src/main.ts", limit: "40" }, ONE, true)],
  },
  {
    name: "two calls in one section, text after",
    input: `${TWO}\nRunning both.`,
    expected: [
      call("Read", { file_path: "/src/main.ts", limit: "40" }, READ, true),
      call("Bash", { command: "npm test -- --run" }, BASH, true),
      text("\nRunning both."),
    ],
  },
  {
    name: "a value holding the end markers",
    input: WRITE,
    expected: [call("Write", { file_path: "/t.ts", content: CODE }, WRITE, true)],
  },
  {
    name: "arguments as one JSON object (sglang's second form)",
    input: JSON_ARGS,
    expected: [call("Grep", { pattern: "TODO", path: "/src" }, JSON_ARGS, false)],
  },
  {
    name: "cut off inside a value: no half file is written",
    input: OPEN_CUT,
    expected: [invalid(OPEN_CUT, 'parameter "content" of the tool call is not closed')],
  },
  {
    name: "the marker named in inline code stays text",
    input: "DeepSeek V3.2 opens its calls with `<｜DSML｜function_calls>`.",
    expected: [text("DeepSeek V3.2 opens its calls with `<｜DSML｜function_calls>`.")],
  },
];
