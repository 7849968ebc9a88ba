import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const TWO = '<|tools_prefix|>[{"get_weather": {"city": "Bern"}}, {"TaskList": {}}]<|tools_suffix|>';
const LONG_FORM = '<|tools_prefix|>[{"name": "Read", "arguments": {"file_path": "/a"}}]<|tools_suffix|>';

export const apertusCorpus: readonly CorpusEntry[] = [
  {
    name: "prose then two short-form calls",
    input: `Checking.${TWO}`,
    expected: [text("Checking."), call("get_weather", { city: "Bern" }, TWO, false), call("TaskList", {}, TWO, false)],
  },
  {
    name: "long form also read",
    input: LONG_FORM,
    expected: [call("Read", { file_path: "/a" }, LONG_FORM, false)],
  },
  {
    name: "unterminated, only closers missing",
    input: '<|tools_prefix|>[{"get_weather": {"city": "Bern"}}',
    expected: [call("get_weather", { city: "Bern" }, '<|tools_prefix|>[{"get_weather": {"city": "Bern"}}', false)],
  },
  {
    name: "arguments that are not an object",
    input: '<|tools_prefix|>[{"get_weather": "Bern"}]<|tools_suffix|>',
    expected: [invalid('<|tools_prefix|>[{"get_weather": "Bern"}]<|tools_suffix|>', "the tool call's arguments are not a JSON object")],
  },
];
