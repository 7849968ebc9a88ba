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

export const deepseekDsmlCorpus: readonly CorpusEntry[] = [
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
