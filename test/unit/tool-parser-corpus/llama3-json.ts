import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const TAG = "<|python_tag|>";
const WEATHER = '{"name": "get_weather", "parameters": {"location": "Boston"}}';
const READ = '{"name": "Read", "arguments": {"file_path": "/a"}}';
const BASH = '{"name": "Bash", "parameters": {"command": "echo \\"a < b > c\\" && printf \'}\'"}}';
const UNICODE = '{"name": "WebSearch", "parameters": {"query": "Zürich → Москва 🚆"}}';

export const llama3JsonCorpus: readonly CorpusEntry[] = [
  {
    name: "bare call as the whole output",
    input: WEATHER,
    expected: [call("get_weather", { location: "Boston" }, WEATHER, false)],
  },
  {
    name: "text then python_tag call",
    input: `Let me check.${TAG}${READ}`,
    expected: [text("Let me check."), call("Read", { file_path: "/a" }, TAG + READ, false)],
  },
  {
    name: "two calls separated by a semicolon",
    input: `${TAG}${READ}; ${WEATHER}`,
    expected: [call("Read", { file_path: "/a" }, TAG + READ, false), call("get_weather", { location: "Boston" }, WEATHER, false)],
  },
  {
    name: "shell code with quotes and braces in a value",
    input: `${TAG}${BASH}`,
    expected: [call("Bash", { command: "echo \"a < b > c\" && printf '}'" }, TAG + BASH, false)],
  },
  {
    name: "unicode",
    input: UNICODE,
    expected: [call("WebSearch", { query: "Zürich → Москва 🚆" }, UNICODE, false)],
  },
  { name: "JSON answer that is not a call", input: '{"answer": 42}', expected: [text('{"answer": 42}')] },
  {
    name: "leading whitespace before a bare call",
    input: `\n  ${WEATHER}`,
    expected: [text("\n  "), call("get_weather", { location: "Boston" }, WEATHER, false)],
  },
  {
    name: "JSON after prose is text",
    input: `Here is JSON: ${WEATHER}`,
    expected: [text(`Here is JSON: ${WEATHER}`)],
  },
  {
    name: "cut off",
    input: `${TAG}{"name": "Read", "parameters": {"file_`,
    expected: [invalid(`${TAG}{"name": "Read", "parameters": {"file_`, "the tool call is cut off")],
  },
  {
    name: "malformed JSON",
    input: `${TAG}{"name": "Read", "parameters": {file: 1}}`,
    expected: [invalid(`${TAG}{"name": "Read", "parameters": {file: 1}}`, "the tool call is not valid JSON")],
  },
  {
    name: "text after the call",
    input: `${TAG}${READ}\nthen more`,
    expected: [call("Read", { file_path: "/a" }, TAG + READ, false), text("\nthen more")],
  },
  {
    name: "built-in tool syntax is not JSON",
    input: `${TAG}brave_search.call(query="x")`,
    expected: [invalid(`${TAG}brave_search.call(query="x")`, "the text after <|python_tag|> is not a JSON tool call")],
  },
  {
    name: "repair: only the closers are missing at the end",
    input: `${TAG}{"name": "Read", "parameters": {"file_path": "/a"`,
    expected: [call("Read", { file_path: "/a" }, `${TAG}{"name": "Read", "parameters": {"file_path": "/a"`, false)],
  },
  {
    name: "repair: Python literals in the arguments",
    input: `${TAG}{"name": "Bash", "parameters": {'command': 'ls', 'run_in_background': True,}}`,
    expected: [
      call(
        "Bash",
        { command: "ls", run_in_background: true },
        `${TAG}{"name": "Bash", "parameters": {'command': 'ls', 'run_in_background': True,}}`,
        false,
        "JSON repaired",
      ),
    ],
  },
];
