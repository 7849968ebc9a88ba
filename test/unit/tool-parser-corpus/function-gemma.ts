import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const E = "<escape>";
const READ = `<start_function_call>call:Read{file_path:${E}/src/a.ts${E},limit:20}<end_function_call>`;

export const functionGemmaCorpus: readonly CorpusEntry[] = [
  {
    name: "prose then a call",
    input: `Reading.${READ} ok`,
    expected: [text("Reading."), call("Read", { file_path: "/src/a.ts", limit: 20 }, READ, false), text(" ok")],
  },
  {
    name: "cut off",
    input: `<start_function_call>call:Read{file_path:${E}/src`,
    expected: [invalid(`<start_function_call>call:Read{file_path:${E}/src`, "the tool call is cut off")],
  },
];
