import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const Q = '<|"|>';
const WEATHER = `<|tool_call>call:get_weather{location:${Q}Boston, MA${Q},days:3}<tool_call|>`;
const BASH = `<|tool_call>call:Bash{command:${Q}echo "{a: 1}" <tool_call|>${Q},opts:{dry:true,tags:[${Q}x${Q}]}}<tool_call|>`;

export const gemma4Corpus: readonly CorpusEntry[] = [
  {
    name: "prose then two calls",
    input: `Checking.\n${WEATHER}${BASH}`,
    expected: [
      text("Checking.\n"),
      call("get_weather", { location: "Boston, MA", days: 3 }, WEATHER, false),
      call("Bash", { command: 'echo "{a: 1}" <tool_call|>', opts: { dry: true, tags: ["x"] } }, BASH, false),
    ],
  },
  {
    name: "cut off inside a string",
    input: `<|tool_call>call:Write{content:${Q}hello`,
    expected: [invalid(`<|tool_call>call:Write{content:${Q}hello`, "the tool call is cut off")],
  },
  {
    name: "not call syntax",
    input: "<|tool_call>get_weather(Boston)<tool_call|>",
    expected: [invalid("<|tool_call>get_weather(Boston)<tool_call|>", "the tool call is not written as call:NAME{…}")],
  },
];
