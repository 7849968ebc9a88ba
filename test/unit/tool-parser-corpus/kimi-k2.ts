import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const BEGIN = "<|tool_calls_section_begin|>";
const END = "<|tool_calls_section_end|>";
const kimi = (id: string, json: string): string => `<|tool_call_begin|>${id}<|tool_call_argument_begin|>${json}<|tool_call_end|>`;

const WEATHER = kimi("functions.get_weather:0", '{"location": "Boston"}');
const READ = kimi(" functions.Read:1 ", '{"file_path": "/a"}');
const CODE = "<script>if (a < b) alert('hi')</script>\n";
const WRITE = kimi("functions.Write:2", JSON.stringify({ file_path: "/ä.html", content: CODE }));

export const kimiK2Corpus: readonly CorpusEntry[] = [
  {
    name: "one call after text",
    input: `I'll check.${BEGIN}${WEATHER}${END}`,
    expected: [text("I'll check."), call("get_weather", { location: "Boston" }, `${BEGIN}${WEATHER}${END}`, false)],
  },
  {
    name: "three calls with newlines, code and text after",
    input: `${BEGIN}\n${WEATHER}\n${READ}\n${WRITE}\n${END}Done ✅`,
    expected: [
      call("get_weather", { location: "Boston" }, WEATHER, false),
      call("Read", { file_path: "/a" }, READ, false),
      call("Write", { file_path: "/ä.html", content: CODE }, WRITE, false),
      text("Done ✅"),
    ],
  },
  {
    name: "singular section spelling",
    input: `<|tool_call_section_begin|>${WEATHER}<|tool_call_section_end|>`,
    expected: [call("get_weather", { location: "Boston" }, `<|tool_call_section_begin|>${WEATHER}<|tool_call_section_end|>`, false)],
  },
  {
    name: "id without the functions prefix",
    input: `${BEGIN}${kimi("Read:3", '{"file_path": "/b"}')}${END}`,
    expected: [call("Read", { file_path: "/b" }, `${BEGIN}${kimi("Read:3", '{"file_path": "/b"}')}${END}`, false)],
  },
  {
    name: "malformed arguments",
    input: `${BEGIN}${kimi("functions.Read:0", "{'file_path': '/a'")}${END}`,
    expected: [invalid(`${BEGIN}${kimi("functions.Read:0", "{'file_path': '/a'")}${END}`, "the tool call's arguments are not valid JSON")],
  },
  {
    name: "unterminated but whole",
    input: `${BEGIN}<|tool_call_begin|>functions.Read:0<|tool_call_argument_begin|>{"file_path": "/a"}`,
    expected: [call("Read", { file_path: "/a" }, `${BEGIN}<|tool_call_begin|>functions.Read:0<|tool_call_argument_begin|>{"file_path": "/a"}`, false)],
  },
  {
    name: "cut off in the id",
    input: `${BEGIN}<|tool_call_begin|>functions.Rea`,
    expected: [invalid(`${BEGIN}<|tool_call_begin|>functions.Rea`, "the tool call has no arguments marker")],
  },
  {
    name: "lone call without a section",
    input: WEATHER,
    expected: [call("get_weather", { location: "Boston" }, WEATHER, false)],
  },
  {
    name: "empty section",
    input: `${BEGIN}\n${END}`,
    expected: [invalid(`${BEGIN}\n${END}`, "the tool call block holds no call")],
  },
  { name: "text with a partial marker", input: "x <|tool_calls", expected: [text("x <|tool_calls")] },
];
