/**
 * Calls written as bare JSON with no markers and no fence, on the lines after a sentence of prose
 * (Qwen2.5's habit: `I'll list the files.\n{"name": "Bash", "arguments": {…}}`), read by every parser
 * when the JSON ends the answer; and the JSON an answer only shows (an example and its explanation,
 * a sample, a tool's definition), which must come back as the exact text.
 */
import type { AutoCorpusEntry } from "./auto.js";
import { call, text } from "./corpus-entry.js";

const TOOLS = ["Write", "Read", "Bash"];
const LS_JSON = '{"name": "Bash", "arguments": {"command": "ls -la"}}';
const READ_JSON = '{"name": "Read", "parameters": {"file_path": "/a.ts"}}';
const READ_PRETTY = '{\n  "name": "Read",\n  "arguments": {\n    "file_path": "/a.ts"\n  }\n}';
const RM_JSON = '{"name": "Bash", "arguments": {"command": "rm -rf build"}}';
// Braces and quotes inside strings do not end the JSON.
const JQ_JSON = '{"name": "Bash", "arguments": {"command": "echo \'}{\' | jq \\"{a: 1}\\""}}';

/** Entries whose whole input must come back as text. */
const asText = (name: string, input: string): AutoCorpusEntry => ({ name, input, expected: [text(input)], toolNames: TOOLS });

export const bareJsonCorpus: readonly AutoCorpusEntry[] = [
  {
    name: "Qwen2.5: a sentence, then the call on its own line",
    input: `I'll list the files.\n${LS_JSON}`,
    expected: [text("I'll list the files.\n"), call("Bash", { command: "ls -la" }, LS_JSON, false)],
    toolNames: TOOLS,
  },
  {
    name: "pretty-printed, parameters instead of arguments, whitespace after",
    input: `Let me read it.\n${READ_PRETTY}\n\n`,
    expected: [text("Let me read it.\n"), call("Read", { file_path: "/a.ts" }, READ_PRETTY, false)],
    toolNames: TOOLS,
  },
  {
    name: "two calls, one per line",
    input: `Reading both.\n${READ_JSON}\n${LS_JSON}`,
    expected: [text("Reading both.\n"), call("Read", { file_path: "/a.ts" }, READ_JSON, false), call("Bash", { command: "ls -la" }, LS_JSON, false)],
    toolNames: TOOLS,
  },
  {
    name: "braces and quotes inside its strings",
    input: `Running it.\n${JQ_JSON}`,
    expected: [text("Running it.\n"), call("Bash", { command: "echo '}{' | jq \"{a: 1}\"" }, JQ_JSON, false)],
    toolNames: TOOLS,
  },
  {
    name: "a stray </tool_call> after it belongs to the call",
    input: `Running it.\n${LS_JSON}\n</tool_call>\n`,
    expected: [text("Running it.\n"), call("Bash", { command: "ls -la" }, LS_JSON, false)],
    toolNames: TOOLS,
  },
  asText("an example followed by its explanation", `Here is the call:\n${RM_JSON}\nIt deletes the build folder.`),
  asText("an example followed by its explanation on the same line", `The call:\n${RM_JSON} deletes the build folder.`),
  asText("a sample, introduced as one", `For example:\n${RM_JSON}`),
  asText("in the middle of a sentence", `Send ${READ_JSON} to read it.`),
  asText("in an indented code block", `The call:\n\n    ${RM_JSON}\n`),
  asText("a tool the request does not have", `Deploying.\n{"name": "Deploy", "arguments": {"env": "prod"}}`),
  asText("a tool's definition, with its description", `The Read tool:\n{"name": "Read", "description": "Reads a file", "parameters": {"type": "object"}}`),
  asText("cut off", `Reading.\n{"name": "Read", "arguments": {"file_path": "/a`),
  asText("a call, then an object that is not one", `Calling.\n${READ_JSON}\n{"result": 1}`),
  asText("a stray closing tag cut short", `Running it.\n${LS_JSON}\n</tool_`),
  asText("two stray closing tags", `Running it.\n${LS_JSON}\n</tool_call></tool_call>`),
];
