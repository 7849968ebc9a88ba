import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const BEGIN = "<｜tool▁calls▁begin｜>";
const END = "<｜tool▁calls▁end｜>";
const CALL = "<｜tool▁call▁begin｜>";
const CALL_END = "<｜tool▁call▁end｜>";
const SEP = "<｜tool▁sep｜>";

const v3 = (name: string, json: string): string => `${CALL}function${SEP}${name}\n\`\`\`json\n${json}\n\`\`\`${CALL_END}`;
const v31 = (name: string, json: string): string => `${CALL}${name}${SEP}${json}${CALL_END}`;

const WEATHER_V3 = v3("get_weather", '{"location": "Boston"}');
const READ_V3 = v3("Read", '{"file_path": "/a"}');
const WEATHER_V31 = v31("get_weather", '{"location": "Boston"}');
const CODE = "if (x < 1 && y > 2) { return `ok`; }";
const WRITE_V31 = v31("Write", JSON.stringify({ file_path: "/ü.js", content: CODE }));

export const deepseekV3Corpus: readonly CorpusEntry[] = [
  {
    name: "V3 form after text",
    input: `Let me check the weather.${BEGIN}${WEATHER_V3}${END}`,
    expected: [text("Let me check the weather."), call("get_weather", { location: "Boston" }, `${BEGIN}${WEATHER_V3}${END}`, false)],
  },
  {
    name: "V3 form with two calls",
    input: `${BEGIN}${WEATHER_V3}\n${READ_V3}${END}`,
    expected: [call("get_weather", { location: "Boston" }, WEATHER_V3, false), call("Read", { file_path: "/a" }, READ_V3, false)],
  },
  {
    name: "V3.1 form",
    input: `${BEGIN}${WEATHER_V31}${END}`,
    expected: [call("get_weather", { location: "Boston" }, `${BEGIN}${WEATHER_V31}${END}`, false)],
  },
  {
    name: "V3.1 two calls with code, unicode and text after",
    input: `${BEGIN}${WRITE_V31}${WEATHER_V31}${END}\n完成 ✅`,
    expected: [
      call("Write", { file_path: "/ü.js", content: CODE }, WRITE_V31, false),
      call("get_weather", { location: "Boston" }, WEATHER_V31, false),
      text("\n完成 ✅"),
    ],
  },
  {
    name: "malformed arguments",
    input: `${BEGIN}${v31("Read", "{file_path: /a}")}${END}`,
    expected: [invalid(`${BEGIN}${v31("Read", "{file_path: /a}")}${END}`, "the tool call's arguments are not valid JSON")],
  },
  {
    name: "unterminated but whole",
    input: `${BEGIN}${CALL}get_weather${SEP}{"location": "Boston"}`,
    expected: [call("get_weather", { location: "Boston" }, `${BEGIN}${CALL}get_weather${SEP}{"location": "Boston"}`, false)],
  },
  {
    name: "unterminated and cut off",
    input: `${BEGIN}${CALL}get_weather${SEP}{"location": "Bos`,
    expected: [invalid(`${BEGIN}${CALL}get_weather${SEP}{"location": "Bos`, "the tool call's arguments are not valid JSON")],
  },
  {
    name: "no separator",
    input: `${BEGIN}${CALL}get_weather {"location": "Boston"}${CALL_END}${END}`,
    expected: [invalid(`${BEGIN}${CALL}get_weather {"location": "Boston"}${CALL_END}${END}`, "the tool call has no separator between its name and arguments")],
  },
  {
    name: "lone call without the section",
    input: `ok ${WEATHER_V31}`,
    expected: [text("ok "), call("get_weather", { location: "Boston" }, WEATHER_V31, false)],
  },
  { name: "partial marker in text", input: "a < b <｜tool", expected: [text("a < b <｜tool")] },
];
