import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const WEATHER =
  "<tool_call>get_weather\n<arg_key>location</arg_key>\n<arg_value>Boston</arg_value>\n<arg_key>days</arg_key>\n<arg_value>3</arg_value>\n</tool_call>";
const GLM47 = "<tool_call>Read<arg_key>file_path</arg_key><arg_value>/a.ts</arg_value></tool_call>";
const PY = 'x = "<arg_value>"\nif a < b:\n    print("</tool_call>")\n';
const WRITE = `<tool_call>Write\n<arg_key>file_path</arg_key>\n<arg_value>/x.py</arg_value>\n<arg_key>content</arg_key>\n<arg_value>${PY}</arg_value>\n</tool_call>`;
const OPEN_COMPLETE = "<tool_call>Bash\n<arg_key>command</arg_key>\n<arg_value>ls</arg_value>\n";
const KEY_ONLY = "<tool_call>Read\n<arg_key>file_path</arg_key>\n</tool_call>";
const UNICODE = "<tool_call>WebSearch<arg_key>query</arg_key><arg_value>北京天气 🌧</arg_value></tool_call>";
const JSON_INSIDE = '<tool_call>{"name": "Read", "arguments": {"file_path": "/a"}}</tool_call>';

// A file being written that documents a whole call of the same format (issue: cut at the inner call).
const DOC = `# Calls\n${GLM47}\nThat is all.\n`;
const WRITE_DOC = `<tool_call>Write\n<arg_key>file_path</arg_key>\n<arg_value>/calls.md</arg_value>\n<arg_key>content</arg_key>\n<arg_value>${DOC}</arg_value>\n</tool_call>`;

const NO_VALUE_OPENER =
  "<tool_call>WebSearch<arg_key>query</arg_key>how many vacation days left</arg_value><arg_key>count</arg_key><arg_value>3</arg_value></tool_call>";
const NO_VALUE_TAGS = "<tool_call>WebSearch<arg_key>query</arg_key>vacation days</tool_call>";

// A Write whose content is a GLM parser's source: the tags as strings, in a regular expression, in a
// docstring's example and in an f-string, `</arg_key><arg_value>` among them. All of it is the value.
const GLM_PARSER = [
  "import re",
  "",
  'KEY_CLOSE = "</arg_key>"',
  'VALUE_CLOSE = "</arg_value>"',
  'KEY_OPEN = "<arg_key>"',
  'PAIR = re.compile(r"<arg_key>(.*?)</arg_key>\\s*<arg_value>(.*?)</arg_value>", re.S)',
  "",
  "",
  "def arguments(body):",
  '    """Reads `<arg_key>k</arg_key><arg_value>v</arg_value>` pairs."""',
  "    return dict(PAIR.findall(body))",
  "",
  "",
  "def render(key, value):",
  '    return f"{KEY_OPEN}{key}</arg_key><arg_value>{value}{VALUE_CLOSE}"',
  "",
].join("\n");
const WRITE_PARSER = `<tool_call>Write\n<arg_key>file_path</arg_key>\n<arg_value>/glm.py</arg_value>\n<arg_key>content</arg_key>\n<arg_value>${GLM_PARSER}</arg_value>\n</tool_call>`;
// GLM-4.7's layout, the content first: its value must end at its own closing tag, not at one it quotes.
const WRITE_PARSER_47 = `<tool_call>Write<arg_key>content</arg_key><arg_value>${GLM_PARSER}</arg_value><arg_key>file_path</arg_key><arg_value>/glm.py</arg_value></tool_call>`;

// GLM-4.5's layout with a value's </arg_value> missing before the next key's line.
const NEXT_KEY_WITHOUT_CLOSE =
  "<tool_call>Bash\n<arg_key>command</arg_key>\n<arg_value>npm test\n<arg_key>timeout</arg_key>\n<arg_value>60000</arg_value>\n</tool_call>";

const NO_ARGS_STRAY = "<tool_call>TaskList</arg_value></tool_call>";
const NO_ARGS_STRAY_LINES = "<tool_call>TaskList\n</arg_value>\n</arg_key>\n</tool_call>";

export const glm45Corpus: readonly CorpusEntry[] = [
  {
    name: "a Write whose content holds a whole call: the file is written whole, the inner call not run",
    input: `${WRITE_DOC}\nWritten.`,
    expected: [call("Write", { file_path: "/calls.md", content: DOC }, WRITE_DOC, true), text("\nWritten.")],
  },
  {
    name: "GLM-4.5 form with text before",
    input: `Let me check.\n${WEATHER}`,
    expected: [text("Let me check.\n"), call("get_weather", { location: "Boston", days: "3" }, WEATHER, true)],
  },
  {
    name: "GLM-4.7 form without newlines",
    input: GLM47,
    expected: [call("Read", { file_path: "/a.ts" }, GLM47, true)],
  },
  {
    name: "multi-line code holding markers in a value",
    input: `${WRITE}\nWritten.`,
    expected: [call("Write", { file_path: "/x.py", content: PY }, WRITE, true), text("\nWritten.")],
  },
  {
    name: "two calls",
    input: `${GLM47}${WEATHER}`,
    expected: [call("Read", { file_path: "/a.ts" }, GLM47, true), call("get_weather", { location: "Boston", days: "3" }, WEATHER, true)],
  },
  {
    // vllm#49248: GLM-4.7-family models under load drop the opening <arg_value> and keep the rest.
    name: "a value whose opening <arg_value> is missing: put back, the call repaired",
    input: NO_VALUE_OPENER,
    expected: [call("WebSearch", { query: "how many vacation days left", count: "3" }, NO_VALUE_OPENER, true, 'the missing <arg_value> of parameter "query"')],
  },
  {
    name: "a key with no value tags at all stays a broken call",
    input: NO_VALUE_TAGS,
    expected: [invalid(NO_VALUE_TAGS, "the tool call has text outside its parameters")],
  },
  {
    name: "a Write of a GLM parser's source, </arg_key><arg_value> and the other tags inside the value: written whole",
    input: `Writing the parser.\n${WRITE_PARSER}`,
    expected: [text("Writing the parser.\n"), call("Write", { file_path: "/glm.py", content: GLM_PARSER }, WRITE_PARSER, true)],
  },
  {
    name: "the same Write in GLM-4.7's layout, its content first: written whole",
    input: WRITE_PARSER_47,
    expected: [call("Write", { content: GLM_PARSER, file_path: "/glm.py" }, WRITE_PARSER_47, true)],
  },
  {
    name: "a value whose </arg_value> is missing before the next key's line: each read, the call repaired",
    input: NEXT_KEY_WITHOUT_CLOSE,
    expected: [call("Bash", { command: "npm test", timeout: "60000" }, NEXT_KEY_WITHOUT_CLOSE, true, 'the missing </arg_value> of parameter "command"')],
  },
  {
    // GLM-4.x after calls that took arguments: it closes a value it never opened.
    name: "a call without arguments and a stray </arg_value>: the call, without arguments",
    input: `Listing the tasks.\n${NO_ARGS_STRAY}`,
    expected: [text("Listing the tasks.\n"), call("TaskList", {}, NO_ARGS_STRAY, true, "the stray </arg_value> after a call without arguments")],
  },
  {
    name: "stray </arg_value> and </arg_key> on their own lines after a name",
    input: NO_ARGS_STRAY_LINES,
    expected: [call("TaskList", {}, NO_ARGS_STRAY_LINES, true, "the stray </arg_value> </arg_key> after a call without arguments")],
  },
  {
    name: "the same at the end of the output, without </tool_call>: the stray closer ends the name",
    input: "<tool_call>TaskList</arg_value>",
    expected: [call("TaskList", {}, "<tool_call>TaskList</arg_value>", true, "the stray </arg_value> after a call without arguments")],
  },
  {
    name: "call without arguments",
    input: "<tool_call>TaskList</tool_call>",
    expected: [call("TaskList", {}, "<tool_call>TaskList</tool_call>", true)],
  },
  {
    name: "unterminated but whole",
    input: OPEN_COMPLETE,
    expected: [call("Bash", { command: "ls" }, OPEN_COMPLETE, true)],
  },
  {
    name: "unterminated name only",
    input: "<tool_call>TaskLi",
    expected: [invalid("<tool_call>TaskLi", "the tool call is cut off")],
  },
  {
    name: "key without value",
    input: KEY_ONLY,
    expected: [invalid(KEY_ONLY, "the tool call has text outside its parameters")],
  },
  {
    name: "unicode",
    input: `天气：${UNICODE}`,
    expected: [text("天气："), call("WebSearch", { query: "北京天气 🌧" }, UNICODE, true)],
  },
  {
    name: "Hermes JSON inside the markers",
    input: JSON_INSIDE,
    expected: [call("Read", { file_path: "/a" }, JSON_INSIDE, false)],
  },
  {
    name: "value cut off at the end",
    input: "<tool_call>Write<arg_key>content</arg_key><arg_value>abc",
    expected: [invalid("<tool_call>Write<arg_key>content</arg_key><arg_value>abc", 'parameter "content" of the tool call is not closed')],
  },
];
