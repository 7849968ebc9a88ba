import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const ANALYSIS = "<|channel|>analysis<|message|>User wants the weather. Call get_weather.<|end|>";
const CALL = '<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city": "Paris"}<|call|>';
const NO_CONSTRAIN = '<|channel|>commentary to=functions.Read<|message|>{"file_path": "/a.ts"}<|call|>';
const HEADER_FORM = '<|start|>assistant to=functions.Bash<|channel|>commentary json<|message|>{"command": "echo \'<|call|>\'"}<|call|>';
const FINAL = "<|start|>assistant<|channel|>final<|message|>";

// A server that skips special tokens leaves harmony's words run together (oobabooga#7374).
const STRIPPED = 'assistantcommentary to=functions.Bash json{"command": "ls -la"}';
const STRIPPED_ALONE = 'commentary to=functions.Read{"file_path": "/a.ts"}';
const STRIPPED_HEADER = 'assistant to=functions.Bashcommentary json{"command": "echo \'{}\'"}';
const STRIPPED_CUT = 'assistantcommentary to=functions.Read json{"file_path": "/a"';

export const gptOssCorpus: readonly CorpusEntry[] = [
  {
    name: "special tokens stripped by the server: the analysis stays text, the call after it runs",
    input: `analysisNeed to list the files. Call Bash.${STRIPPED}`,
    expected: [text("analysisNeed to list the files. Call Bash."), call("Bash", { command: "ls -la" }, STRIPPED, false)],
  },
  {
    name: "special tokens stripped: a call alone, without <|constrain|>",
    input: STRIPPED_ALONE,
    expected: [call("Read", { file_path: "/a.ts" }, STRIPPED_ALONE, false)],
  },
  {
    name: "special tokens stripped: the recipient in the header, glued to the channel's name",
    input: `analysisRun it.${STRIPPED_HEADER}\n`,
    expected: [text("analysisRun it."), call("Bash", { command: "echo '{}'" }, `${STRIPPED_HEADER}\n`, false)],
  },
  {
    name: "special tokens stripped: a call cut off is closed when only closers are missing",
    input: STRIPPED_CUT,
    expected: [call("Read", { file_path: "/a" }, STRIPPED_CUT, false, "JSON cut off, closed")],
  },
  {
    name: "prose naming the stripped header is text",
    input: "The commentary to=functions. prefix names the tool, then json{…} holds its arguments.",
    expected: [text("The commentary to=functions. prefix names the tool, then json{…} holds its arguments.")],
  },
  {
    name: "analysis then a call: reasoning dropped, the call kept",
    input: ANALYSIS + CALL,
    expected: [call("get_weather", { city: "Paris" }, CALL, false)],
  },
  {
    name: "call without <|constrain|>",
    input: NO_CONSTRAIN,
    expected: [call("Read", { file_path: "/a.ts" }, NO_CONSTRAIN, false)],
  },
  {
    name: "recipient in the header, end token inside a JSON string",
    input: HEADER_FORM,
    expected: [call("Bash", { command: "echo '<|call|>'" }, HEADER_FORM, false)],
  },
  {
    name: "analysis then final: only the final text",
    input: `${ANALYSIS}${FINAL}It is 18 °C in Paris.<|return|>`,
    expected: [text("It is 18 °C in Paris.")],
  },
  {
    name: "preamble on the commentary channel, then two calls",
    input: `<|channel|>commentary<|message|>Checking both files.<|end|>${NO_CONSTRAIN}${CALL}`,
    expected: [text("Checking both files."), call("Read", { file_path: "/a.ts" }, NO_CONSTRAIN, false), call("get_weather", { city: "Paris" }, CALL, false)],
  },
  {
    name: "a call cut off before its <|call|> is closed when only closers are missing",
    input: '<|channel|>commentary to=functions.Read <|constrain|>json<|message|>{"file_path": "/a"',
    expected: [
      call(
        "Read",
        { file_path: "/a" },
        '<|channel|>commentary to=functions.Read <|constrain|>json<|message|>{"file_path": "/a"',
        false,
        "JSON cut off, closed",
      ),
    ],
  },
  {
    name: "a call cut off in its header",
    input: "<|channel|>commentary to=functions.Re",
    expected: [invalid("<|channel|>commentary to=functions.Re", "the tool call is cut off")],
  },
  {
    name: "broken JSON arguments",
    input: "<|channel|>commentary to=functions.Read<|message|>{file: /a}<|call|>",
    expected: [invalid("<|channel|>commentary to=functions.Read<|message|>{file: /a}<|call|>", "the tool call's arguments are not valid JSON")],
  },
  {
    name: "unterminated reasoning at the end is dropped",
    input: "<|channel|>analysis<|message|>Thinking about |> and <|channel|> tokens",
    expected: [],
  },
  {
    name: "prose mentioning a harmony token is kept",
    input: "Harmony opens each message with <|channel|> and a name.",
    expected: [text("Harmony opens each message with <|channel|> and a name.")],
  },
  {
    name: "plain text without harmony markup",
    input: "Pipes |> and <| brackets |> stay.",
    expected: [text("Pipes |> and <| brackets |> stay.")],
  },
];
