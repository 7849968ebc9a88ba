import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

/** An output for `auto`, with the request's tool names (markerless calls are only taken for those). */
export interface AutoCorpusEntry extends CorpusEntry {
  readonly toolNames: readonly string[];
}

const TOOLS = ["Read", "Bash", "Grep", "get_weather"];
const HERMES = '<tool_call>\n{"name": "Read", "arguments": {"file_path": "/a"}}\n</tool_call>';
const QWEN = "<tool_call>\n<function=Bash>\n<parameter=command>\nls\n</parameter>\n</function>\n</tool_call>";
const GLM = "<tool_call>Grep\n<arg_key>pattern</arg_key>\n<arg_value>TODO</arg_value>\n</tool_call>";
const FUNCTIONARY = '<function=Read>{"file_path": "/a"}</function>';
const QWEN_BARE = "<function=Read>\n<parameter=file_path>\n/a\n</parameter>\n</function>";
const MISTRAL = '[TOOL_CALLS]Bash[ARGS]{"command": "ls"}';
const KIMI =
  '<|tool_calls_section_begin|><|tool_call_begin|>functions.Read:0<|tool_call_argument_begin|>{"file_path": "/a"}<|tool_call_end|><|tool_calls_section_end|>';
const HARMONY_CALL = '<|channel|>commentary to=functions.Read <|constrain|>json<|message|>{"file_path": "/a"}<|call|>';

const TOOLS_WRAPPED = '<tools>\n{"name": "Read", "arguments": {"file_path": "/a"}}\n</tools>';

const indent = (block: string) =>
  block
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
const RM = "<tool_call>\n<function=Bash>\n<parameter=command>\nrm -rf build\n</parameter>\n</function>\n</tool_call>";

export const autoCorpus: readonly AutoCorpusEntry[] = [
  {
    // Models fence real calls in backticks; a ~~~ fence is Markdown's other code fence, and holds a quote.
    name: "a call in a ~~~ fence is quoted, and the real call after the fence is taken",
    input: `Here is the shape:\n~~~xml\n${RM}\n~~~\nNow the real one:\n${HERMES}`,
    expected: [text(`Here is the shape:\n~~~xml\n${RM}\n~~~\nNow the real one:\n`), call("Read", { file_path: "/a" }, HERMES, false)],
    toolNames: TOOLS,
  },
  {
    name: "a call in an indented code block (after a blank line) is quoted, and the real call after it is taken",
    input: `A Qwen3-Coder call looks like:\n\n${indent(RM)}\n\nReading now.\n${HERMES}`,
    expected: [text(`A Qwen3-Coder call looks like:\n\n${indent(RM)}\n\nReading now.\n`), call("Read", { file_path: "/a" }, HERMES, false)],
    toolNames: TOOLS,
  },
  {
    // Issue 36 item 5: the user asked what a call looks like; the model shows one, unfenced.
    name: "an unfenced call on the line after prose that presents a sample is quoted",
    input: `Here is what a Qwen3-Coder call looks like:\n${RM}\nThe tags name the tool and each parameter.`,
    expected: [text(`Here is what a Qwen3-Coder call looks like:\n${RM}\nThe tags name the tool and each parameter.`)],
    toolNames: TOOLS,
  },
  {
    // The other side: "format", "would", "could" present a fenced block as a sample, never an unfenced call.
    name: "an unfenced call after everyday prose ('Let me format the file:') runs",
    input: `Let me format the file first, then I could run the tests:\n${QWEN}`,
    expected: [text("Let me format the file first, then I could run the tests:\n"), call("Bash", { command: "ls" }, QWEN, true)],
    toolNames: TOOLS,
  },
  {
    // Without a blank line before it, an indented line continues the paragraph (CommonMark): a list item's call.
    name: "an indented call right under a line of prose is a call",
    input: `Reading it:\n    ${HERMES}`,
    expected: [text("Reading it:\n    "), call("Read", { file_path: "/a" }, HERMES, false)],
    toolNames: TOOLS,
  },
  {
    name: "a marker in backticks is code, the call after it is taken",
    input: `The \`<tool_call>\` tag wraps a call:\n${HERMES}`,
    expected: [text("The `<tool_call>` tag wraps a call:\n"), call("Read", { file_path: "/a" }, HERMES, false)],
    toolNames: TOOLS,
  },
  {
    name: "a marker in prose opens no call, and the call after it is still found",
    input: `Wrap calls in <tool_call> tags, like this: ${HERMES}`,
    expected: [text("Wrap calls in <tool_call> tags, like this: "), call("Read", { file_path: "/a" }, HERMES, false)],
    toolNames: TOOLS,
  },
  {
    name: "prose mentioning many families' markers stays text",
    input: 'Formats: <tool_call> tag, <invoke name="x"> element, [TOOL_CALLS] token, `<|tool_calls_section_begin|>`, <|end|> and <function=name> heads.',
    expected: [
      text('Formats: <tool_call> tag, <invoke name="x"> element, [TOOL_CALLS] token, `<|tool_calls_section_begin|>`, <|end|> and <function=name> heads.'),
    ],
    toolNames: TOOLS,
  },
  {
    name: "the first family used picks it: other families' markers after it are text",
    input: `${HERMES}\n${MISTRAL}`,
    expected: [call("Read", { file_path: "/a" }, HERMES, false), text(`\n${MISTRAL}`)],
    toolNames: TOOLS,
  },
  {
    name: "<tool_call> with Qwen3-Coder's body",
    input: `Listing.\n${QWEN}`,
    expected: [text("Listing.\n"), call("Bash", { command: "ls" }, QWEN, true)],
    toolNames: TOOLS,
  },
  {
    name: "<tool_call> with GLM's body",
    input: GLM,
    expected: [call("Grep", { pattern: "TODO" }, GLM, true)],
    toolNames: TOOLS,
  },
  {
    name: "<tool_call> holding a word that is no tool is text",
    input: "Put the <tool_call>name</tool_call> first.",
    expected: [text("Put the <tool_call>name</tool_call> first.")],
    toolNames: TOOLS,
  },
  {
    name: "<function= with a JSON body is Functionary",
    input: FUNCTIONARY,
    expected: [call("Read", { file_path: "/a" }, FUNCTIONARY, false)],
    toolNames: TOOLS,
  },
  {
    name: "<function= with parameters is Qwen3-Coder",
    input: QWEN_BARE,
    expected: [call("Read", { file_path: "/a" }, QWEN_BARE, true)],
    toolNames: TOOLS,
  },
  {
    name: "Kimi after prose",
    input: `Reading.${KIMI}`,
    expected: [text("Reading."), call("Read", { file_path: "/a" }, KIMI, false)],
    toolNames: TOOLS,
  },
  {
    name: "harmony: reasoning dropped, markup stripped, the call kept",
    input: `<|channel|>analysis<|message|>Need the file.<|end|><|start|>assistant${HARMONY_CALL}`,
    expected: [call("Read", { file_path: "/a" }, `<|start|>assistant${HARMONY_CALL}`, false)],
    toolNames: TOOLS,
  },
  {
    name: "a stray harmony end token before any family is text",
    input: "Done.<|end|>",
    expected: [text("Done.<|end|>")],
    toolNames: TOOLS,
  },
  {
    name: "bare Llama 3 JSON naming a requested tool, case aside",
    input: '{"name": "get_Weather", "parameters": {"city": "Paris"}}',
    expected: [call("get_Weather", { city: "Paris" }, '{"name": "get_Weather", "parameters": {"city": "Paris"}}', false)],
    toolNames: TOOLS,
  },
  {
    name: "bare Llama 3 JSON with the functions. prefix",
    input: '{"name": "functions.Read", "parameters": {"file_path": "/a"}}',
    expected: [call("functions.Read", { file_path: "/a" }, '{"name": "functions.Read", "parameters": {"file_path": "/a"}}', false)],
    toolNames: TOOLS,
  },
  {
    name: "bare JSON naming no requested tool is text",
    input: '{"name": "Ada Lovelace", "born": 1815}',
    expected: [text('{"name": "Ada Lovelace", "born": 1815}')],
    toolNames: TOOLS,
  },
  {
    name: "a JSON answer at the start, then a call",
    input: `{"answer": 42}\n${HERMES}`,
    expected: [text('{"answer": 42}\n'), call("Read", { file_path: "/a" }, HERMES, false)],
    toolNames: TOOLS,
  },
  {
    name: "a pythonic list naming a requested tool",
    input: '\n[get_weather(city="Paris", days=2)]',
    expected: [text("\n"), call("get_weather", { city: "Paris", days: 2 }, '[get_weather(city="Paris", days=2)]', false)],
    toolNames: TOOLS,
  },
  {
    name: "a pythonic list naming no requested tool is text",
    input: "[print(x=1)]",
    expected: [text("[print(x=1)]")],
    toolNames: TOOLS,
  },
  {
    name: "a Markdown link at the start does not hide a later call",
    input: `[docs](https://x.dev) say so. ${HERMES}`,
    expected: [text("[docs](https://x.dev) say so. "), call("Read", { file_path: "/a" }, HERMES, false)],
    toolNames: TOOLS,
  },
  {
    name: "[TOOL_CALLS] at the output start is Mistral, not a pythonic list",
    input: MISTRAL,
    expected: [call("Bash", { command: "ls" }, MISTRAL, false)],
    toolNames: TOOLS,
  },
  {
    name: "no tool names: markerless calls are text, marked ones still calls",
    input: '{"name": "Read", "parameters": {}}',
    expected: [text('{"name": "Read", "parameters": {}}')],
    toolNames: [],
  },
  {
    name: "call-shaped but broken is an invalid call",
    input: '<tool_call>{"name": "Read", "arguments": {"file_path": }}</tool_call>',
    expected: [invalid('<tool_call>{"name": "Read", "arguments": {"file_path": }}</tool_call>', "the tool call is not valid JSON")],
    toolNames: TOOLS,
  },
  {
    // Qwen2.5-Coder-1.5B through mallex, on a native-tools request its server did not parse.
    name: "a Hermes call wrapped in <tools> picks Hermes and is taken",
    input: `${TOOLS_WRAPPED}\n`,
    expected: [call("Read", { file_path: "/a" }, TOOLS_WRAPPED, false), text("\n")],
    toolNames: TOOLS,
  },
];
