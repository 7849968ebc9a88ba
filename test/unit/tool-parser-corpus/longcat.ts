import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const WEATHER = "<longcat_tool_call>get_weather\n<longcat_arg_key>city</longcat_arg_key>\n<longcat_arg_value>Beijing</longcat_arg_value>\n</longcat_tool_call>";
const READ = "<longcat_tool_call>Read<longcat_arg_key>file_path</longcat_arg_key><longcat_arg_value>/a</longcat_arg_value></longcat_tool_call>";

export const longcatCorpus: readonly CorpusEntry[] = [
  {
    name: "prose then two calls",
    input: `Let me check.\n${WEATHER}${READ}`,
    expected: [text("Let me check.\n"), call("get_weather", { city: "Beijing" }, WEATHER, true), call("Read", { file_path: "/a" }, READ, true)],
  },
  {
    name: "a call without arguments and a stray closing value tag (GLM's layout, GLM's slip)",
    input: "<longcat_tool_call>TaskList</longcat_arg_value></longcat_tool_call>",
    expected: [
      call(
        "TaskList",
        {},
        "<longcat_tool_call>TaskList</longcat_arg_value></longcat_tool_call>",
        true,
        "the stray </longcat_arg_value> after a call without arguments",
      ),
    ],
  },
  {
    name: "value cut off at the end",
    input: "<longcat_tool_call>Write<longcat_arg_key>content</longcat_arg_key><longcat_arg_value>abc",
    expected: [
      invalid("<longcat_tool_call>Write<longcat_arg_key>content</longcat_arg_key><longcat_arg_value>abc", 'parameter "content" of the tool call is not closed'),
    ],
  },
  {
    name: "prose mentioning a partial marker",
    input: "LongCat uses <longcat_tool tags.",
    expected: [text("LongCat uses <longcat_tool tags.")],
  },
];
