import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const WEATHER = '[get_weather(city="Paris", days=3), other(x=[1, 2])]';
const LITERALS = "[configure(flag=True, none=None, ratio=-1.5e3, opts={'a': 'x\\'y', 'b': (1, 2)}, path='C:\\\\tmp',)]";
const LLAMA4 = '<|python_start|>[Read(file_path="/src/app.ts")]<|python_end|>';
const LLAMA4_BARE = '<|python_start|>Bash(command="ls -la")<|python_end|>';
const LFM2 = '<|tool_call_start|>[get_candidate_status(candidate_id="12345")]<|tool_call_end|>';
const LFM2_JSON = '<|tool_call_start|>[{"name": "Read", "arguments": {"file_path": "/a"}}]<|tool_call_end|>';
const MULTILINE = '[Write(file_path="/a.py", content="""def f():\n    return "x"\n""")]';

export const pythonicCorpus: readonly CorpusEntry[] = [
  {
    name: "two calls as the whole output",
    input: WEATHER,
    expected: [call("get_weather", { city: "Paris", days: 3 }, WEATHER, false), call("other", { x: [1, 2] }, WEATHER, false)],
  },
  {
    name: "Python literals of every kind",
    input: `\n${LITERALS}\n`,
    expected: [text("\n"), call("configure", { flag: true, none: null, ratio: -1500, opts: { a: "x'y", b: [1, 2] }, path: "C:\\tmp" }, `${LITERALS}\n`, false)],
  },
  {
    name: "triple-quoted multi-line string",
    input: MULTILINE,
    expected: [call("Write", { file_path: "/a.py", content: 'def f():\n    return "x"\n' }, MULTILINE, false)],
  },
  {
    name: "Llama 4 markers after prose",
    input: `Let me look.${LLAMA4} ok`,
    expected: [text("Let me look."), call("Read", { file_path: "/src/app.ts" }, LLAMA4, false), text(" ok")],
  },
  {
    name: "Llama 4 markers around a call without brackets",
    input: LLAMA4_BARE,
    expected: [call("Bash", { command: "ls -la" }, LLAMA4_BARE, false)],
  },
  {
    name: "LFM2 pythonic and JSON forms",
    input: `Checking.${LFM2}${LFM2_JSON}`,
    expected: [text("Checking."), call("get_candidate_status", { candidate_id: "12345" }, LFM2, false), call("Read", { file_path: "/a" }, LFM2_JSON, false)],
  },
  {
    name: "a list followed by prose is not the whole output: text",
    input: '[get_weather(city="Paris")] is what I would call.',
    expected: [text('[get_weather(city="Paris")] is what I would call.')],
  },
  {
    name: "a Markdown link at the start is text",
    input: "[docs](https://example.com) explain it.",
    expected: [text("[docs](https://example.com) explain it.")],
  },
  {
    name: "a call list after prose is text",
    input: 'Use [get_weather(city="Paris")] like this.',
    expected: [text('Use [get_weather(city="Paris")] like this.')],
  },
  {
    name: "cut off at the end",
    input: '[get_weather(city="Par',
    expected: [invalid('[get_weather(city="Par', "the tool call is cut off")],
  },
  {
    name: "a variable instead of a literal",
    input: "[get_weather(city=paris)]",
    expected: [invalid("[get_weather(city=paris)]", "the tool call's value paris is not a literal")],
  },
  {
    name: "a positional argument inside the markers",
    input: '<|python_start|>[get_weather("Paris")]<|python_end|>',
    expected: [invalid('<|python_start|>[get_weather("Paris")]<|python_end|>', "the tool call has a positional argument")],
  },
];
