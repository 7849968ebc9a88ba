/**
 * The issue 23 matrix: for every family, outputs built from the family's own call text, in the
 * positions where it is a call (alone, parallel, after prose, nested and unicode arguments) and in
 * the four where it is only quoted or explained (inline code, a fence followed by prose, the marker
 * named in a sentence, a sentence discussing the format). Negatives must come back as the exact
 * text, with no call and no note.
 */
import type { ToolCallFormat, ToolParseEvent } from "../../../src/tools/parsers/index.js";

export interface PlannedCall {
  readonly name: string;
  readonly args: Record<string, unknown>;
}

/** How a family writes calls, and the markers it would be talked about with. */
interface FamilyWriter {
  /** One response holding these calls (parallel calls the way the family writes them). */
  readonly write: (calls: readonly PlannedCall[]) => string;
  /** Whether argument values come back as raw text (XML, GLM): objects then arrive as JSON text. */
  readonly untyped: boolean;
  readonly start: string;
  /** "" for formats without an end marker. */
  readonly end: string;
  /** What separates parallel calls written as blocks of their own (text between two calls). */
  readonly between?: string;
}

const json = (value: unknown): string => JSON.stringify(value);
const jsonSpaced = (value: unknown): string => JSON.stringify(value, null, 1).replace(/\n\s*/g, " ");
/** An untyped value as the model writes it. */
const raw = (value: unknown): string => (typeof value === "string" ? value : json(value));
const each = (calls: readonly PlannedCall[], one: (call: PlannedCall, index: number) => string, glue = "\n"): string => calls.map(one).join(glue);
const nameArgs = (calls: readonly PlannedCall[]): string => json(calls.map((call) => ({ name: call.name, arguments: call.args })));

const xmlParams = (call: PlannedCall, open: (key: string) => string, close: string): string =>
  Object.entries(call.args)
    .map(([key, value]) => `${open(key)}${raw(value)}${close}`)
    .join("\n");

const gemmaValue = (value: unknown, quote: string): string => {
  if (typeof value === "string") return `${quote}${value}${quote}`;
  if (Array.isArray(value)) return `[${value.map((item) => gemmaValue(item, quote)).join(",")}]`;
  if (typeof value === "object" && value !== null)
    return `{${Object.entries(value)
      .map(([key, item]) => `${key}:${gemmaValue(item, quote)}`)
      .join(",")}}`;
  return String(value);
};

const pythonValue = (value: unknown): string => json(value);

export const WRITERS: Readonly<Record<ToolCallFormat, FamilyWriter>> = {
  hermes: {
    between: "\n",
    write: (calls) => each(calls, (call) => `<tool_call>\n${json({ name: call.name, arguments: call.args })}\n</tool_call>`),
    untyped: false,
    start: "<tool_call>",
    end: "</tool_call>",
  },
  "qwen3-coder": {
    between: "\n",
    write: (calls) =>
      each(
        calls,
        (call) => `<tool_call>\n<function=${call.name}>\n${xmlParams(call, (key) => `<parameter=${key}>\n`, "\n</parameter>")}\n</function>\n</tool_call>`,
      ),
    untyped: true,
    start: "<tool_call>",
    end: "</tool_call>",
  },
  "llama3-json": {
    write: (calls) => `<|python_tag|>${each(calls, (call) => json({ name: call.name, parameters: call.args }), "; ")}`,
    untyped: false,
    start: "<|python_tag|>",
    end: "",
  },
  mistral: {
    write: (calls) => each(calls, (call) => `[TOOL_CALLS]${call.name}[ARGS]${json(call.args)}`, ""),
    untyped: false,
    start: "[TOOL_CALLS]",
    end: "",
  },
  glm45: {
    between: "\n",
    write: (calls) =>
      each(calls, (call) => `<tool_call>${call.name}\n${xmlParams(call, (key) => `<arg_key>${key}</arg_key>\n<arg_value>`, "</arg_value>")}\n</tool_call>`),
    untyped: true,
    start: "<tool_call>",
    end: "</tool_call>",
  },
  "deepseek-v3": {
    write: (calls) =>
      `<｜tool▁calls▁begin｜>${each(calls, (call) => `<｜tool▁call▁begin｜>${call.name}<｜tool▁sep｜>${json(call.args)}<｜tool▁call▁end｜>`, "")}<｜tool▁calls▁end｜>`,
    untyped: false,
    start: "<｜tool▁calls▁begin｜>",
    end: "<｜tool▁calls▁end｜>",
  },
  "kimi-k2": {
    write: (calls) =>
      `<|tool_calls_section_begin|>${each(calls, (call, index) => `<|tool_call_begin|>functions.${call.name}:${index}<|tool_call_argument_begin|>${json(call.args)}<|tool_call_end|>`, "")}<|tool_calls_section_end|>`,
    untyped: false,
    start: "<|tool_calls_section_begin|>",
    end: "<|tool_calls_section_end|>",
  },
  "mallex-xml": {
    write: (calls) =>
      `<function_calls>\n${each(calls, (call) => `<invoke name="${call.name}">\n${xmlParams(call, (key) => `<parameter name="${key}">`, "</parameter>")}\n</invoke>`)}\n</function_calls>`,
    untyped: true,
    start: "<function_calls>",
    end: "</function_calls>",
  },
  "deepseek-dsml": {
    write: (calls) =>
      `<｜DSML｜function_calls>\n${each(calls, (call) => `<｜DSML｜invoke name="${call.name}">\n${xmlParams(call, (key) => `<｜DSML｜parameter name="${key}" string="true">`, "</｜DSML｜parameter>")}\n</｜DSML｜invoke>`)}\n</｜DSML｜function_calls>`,
    untyped: true,
    start: "<｜DSML｜function_calls>",
    end: "</｜DSML｜function_calls>",
  },
  "minimax-m2": {
    write: (calls) =>
      `<minimax:tool_call>\n${each(calls, (call) => `<invoke name="${call.name}">\n${xmlParams(call, (key) => `<parameter name="${key}">`, "</parameter>")}\n</invoke>`)}\n</minimax:tool_call>`,
    untyped: true,
    start: "<minimax:tool_call>",
    end: "</minimax:tool_call>",
  },
  "gpt-oss": {
    write: (calls) =>
      each(calls, (call) => `<|start|>assistant<|channel|>commentary to=functions.${call.name} <|constrain|>json<|message|>${json(call.args)}<|call|>`, ""),
    untyped: false,
    start: "<|start|>",
    end: "<|call|>",
  },
  "seed-oss": {
    between: "\n",
    write: (calls) =>
      each(
        calls,
        (call) =>
          `<seed:tool_call>\n<function=${call.name}>\n${xmlParams(call, (key) => `<parameter=${key}>`, "</parameter>")}\n</function>\n</seed:tool_call>`,
      ),
    untyped: true,
    start: "<seed:tool_call>",
    end: "</seed:tool_call>",
  },
  pythonic: {
    write: (calls) =>
      `<|tool_call_start|>[${each(
        calls,
        (call) =>
          `${call.name}(${Object.entries(call.args)
            .map(([key, value]) => `${key}=${pythonValue(value)}`)
            .join(", ")})`,
        ", ",
      )}]<|tool_call_end|>`,
    untyped: false,
    start: "<|tool_call_start|>",
    end: "<|tool_call_end|>",
  },
  gemma3: {
    write: (calls) =>
      `\`\`\`tool_code\n${each(
        calls,
        (call) =>
          `${call.name}(${Object.entries(call.args)
            .map(([key, value]) => `${key}=${pythonValue(value)}`)
            .join(", ")})`,
      )}\n\`\`\``,
    untyped: false,
    start: "\`\`\`tool_code",
    end: "\`\`\`",
  },
  granite: {
    write: (calls) => `<|tool_call|>${nameArgs(calls)}`,
    untyped: false,
    start: "<|tool_call|>",
    end: "",
  },
  "functionary-v31": {
    write: (calls) => each(calls, (call) => `<function=${call.name}>${json(call.args)}</function>`, ""),
    untyped: false,
    start: "<function=",
    end: "</function>",
  },
  "command-r": {
    write: (calls) =>
      `<|START_ACTION|>${json(calls.map((call, index) => ({ tool_call_id: String(index), tool_name: call.name, parameters: call.args })))}<|END_ACTION|>`,
    untyped: false,
    start: "<|START_ACTION|>",
    end: "<|END_ACTION|>",
  },
  nemotron: {
    write: (calls) => `<TOOLCALL>${nameArgs(calls)}</TOOLCALL>`,
    untyped: false,
    start: "<TOOLCALL>",
    end: "</TOOLCALL>",
  },
  apertus: {
    write: (calls) => `<|tools_prefix|>${json(calls.map((call) => ({ [call.name]: call.args })))}<|tools_suffix|>`,
    untyped: false,
    start: "<|tools_prefix|>",
    end: "<|tools_suffix|>",
  },
  apriel: {
    write: (calls) => `<tool_calls>${jsonSpaced(calls.map((call) => ({ name: call.name, arguments: call.args })))}</tool_calls>`,
    untyped: false,
    start: "<tool_calls>",
    end: "</tool_calls>",
  },
  "firefunction-v2": {
    write: (calls) => `functools${nameArgs(calls)}`,
    untyped: false,
    start: "functools[",
    end: "",
  },
  longcat: {
    between: "\n",
    write: (calls) =>
      each(
        calls,
        (call) =>
          `<longcat_tool_call>${call.name}\n${xmlParams(call, (key) => `<longcat_arg_key>${key}</longcat_arg_key>\n<longcat_arg_value>`, "</longcat_arg_value>")}\n</longcat_tool_call>`,
      ),
    untyped: true,
    start: "<longcat_tool_call>",
    end: "</longcat_tool_call>",
  },
  gemma4: {
    write: (calls) => each(calls, (call) => `<|tool_call>call:${call.name}${gemmaValue(call.args, '<|"|>')}<tool_call|>`, ""),
    untyped: false,
    start: "<|tool_call>",
    end: "<tool_call|>",
  },
  "function-gemma": {
    write: (calls) => each(calls, (call) => `<start_function_call>call:${call.name}${gemmaValue(call.args, "<escape>")}<end_function_call>`, ""),
    untyped: false,
    start: "<start_function_call>",
    end: "<end_function_call>",
  },
};

export const WEATHER: PlannedCall = { name: "get_weather", args: { city: "Paris" } };
export const TIME: PlannedCall = { name: "get_time", args: { zone: "Europe/Paris" } };
export const SEARCH: PlannedCall = {
  name: "web_search",
  args: { query: '東京の天気 ☀️ 😀 "quoted" & <b>', filter: { tags: ["a", "ü"], depth: 2 } },
};
export const TOOL_NAMES = [WEATHER.name, TIME.name, SEARCH.name];

/** What a call must come back as: untyped formats give every value as the text the model wrote. */
export function expectedCall(writer: FamilyWriter, call: PlannedCall): { name: string; arguments: Record<string, unknown>; untyped: boolean } {
  const args = writer.untyped ? Object.fromEntries(Object.entries(call.args).map(([key, value]) => [key, raw(value)])) : call.args;
  return { name: call.name, arguments: args, untyped: writer.untyped };
}

/** A call event as the matrix compares it: name, arguments, untyped (raw is the family corpus's job). */
export type CallShape = ReturnType<typeof expectedCall>;
export type PositionEvent = { type: "text"; text: string } | { type: "tool_call"; call: CallShape };

export interface PositionCase {
  readonly family: ToolCallFormat;
  readonly kind: string;
  readonly negative: boolean;
  readonly input: string;
  /** Adjacent texts merged; leading/trailing whitespace around calls exactly as written. */
  readonly expected: readonly PositionEvent[];
}

const text = (value: string): PositionEvent => ({ type: "text", text: value });

const calls = (writer: FamilyWriter, planned: readonly PlannedCall[]): PositionEvent[] =>
  planned.map((call) => ({ type: "tool_call", call: expectedCall(writer, call) }));

/** Every family's positive and negative cases. */
export function positionCases(): PositionCase[] {
  return (Object.entries(WRITERS) as Array<[ToolCallFormat, FamilyWriter]>).flatMap(([family, writer]) => {
    const one = writer.write([WEATHER]);
    const positives: Array<[string, string, PositionEvent[]]> = [
      ["call", one, calls(writer, [WEATHER])],
      [
        "parallel calls",
        writer.write([WEATHER, TIME]),
        writer.between === undefined ? calls(writer, [WEATHER, TIME]) : [...calls(writer, [WEATHER]), text(writer.between), ...calls(writer, [TIME])],
      ],
      ["call after prose", `I'll check the weather first.\n\n${one}`, [text("I'll check the weather first.\n\n"), ...calls(writer, [WEATHER])]],
      ["nested and unicode arguments", `Searching now: ${writer.write([SEARCH])}`, [text("Searching now: "), ...calls(writer, [SEARCH])]],
      ["call in a fence that ends the answer", `Running it:\n\n\`\`\`\n${one}\n\`\`\`\n`, [text("Running it:\n\n"), ...calls(writer, [WEATHER])]],
    ];
    positives.push(
      ...strayClosers(family, writer).map((closer): [string, string, PositionEvent[]] => [
        `call then a stray ${closer}`,
        `${one}\n${closer}`,
        // gpt-oss's parser takes its own <|call|> as a token block and strips it before the
        // closers are looked for, so the newline stays (the translation drops a newline-only block).
        family === "gpt-oss" && closer === writer.end ? [...calls(writer, [WEATHER]), text("\n")] : calls(writer, [WEATHER]),
      ]),
      [
        "call then a closer named in prose",
        `${one}\nThat call ends with </tool_call> and the turn with </s>.`,
        [...calls(writer, [WEATHER]), text("\nThat call ends with </tool_call> and the turn with </s>.")],
      ],
    );
    const negatives: Array<[string, string]> = [
      ["call in a ~~~ fence that ends the answer", `Running it:\n\n~~~\n${one}\n~~~\n`],
      ["call in an indented code block after prose", `The reply was:\n\n${indent(one)}\n\nThat is all.`],
      ["call in an indented code block that ends the answer", `Running it:\n\n${indent(one)}\n`],
      ["inline-backticked call", `In this format a call is written like \`${one}\` — nothing needs to be run.`],
      ["fenced call followed by prose", `Here is what such output looks like:\n\n\`\`\`\n${one}\n\`\`\`\n\nThat block is just an example.`],
      ["marker named in prose", `The ${writer.start} marker is how the model opens a call; nothing is run here.`],
      ["backticked marker named in prose", `The \`${writer.start}\` marker is how the model opens a call.`],
      [
        "a discussion of the format",
        `Calls open with ${writer.start}${writer.end === "" ? "" : ` and close with ${writer.end}`}, so a reply such as ${one} would be run; this one only explains it.`,
      ],
    ];
    return [
      ...positives.map(([kind, input, expected]) => ({ family, kind, negative: false, input, expected: merge(expected) })),
      ...negatives.map(([kind, input]) => ({ family, kind, negative: true, input, expected: [text(input)] })),
    ];
  });
}

/** Four columns before every line: a CommonMark indented code block when a blank line comes before. */
const indent = (block: string): string => block.replace(/^/gm, "    ");

/** Closers a server or model leaves after a call, each dropped there (drop-stray-closers.ts). */
const GENERIC_CLOSERS = ["</tool_call>", "</s>", "<|im_end|>"];

/**
 * The closers tried after a family's call: the generic ones and the family's own end marker written
 * twice. Not Gemma 3's own: its end marker is a backtick fence, which opens a code block of its own.
 */
export function strayClosers(family: ToolCallFormat, writer: FamilyWriter): string[] {
  const own = writer.end !== "" && family !== "gemma3" && !GENERIC_CLOSERS.includes(writer.end) ? [writer.end] : [];
  return [...GENERIC_CLOSERS, ...own];
}

/** What reasoning and the answer come back as: reasoning split out first, then calls read from the answer. */
export type ReasoningEvent = PositionEvent | { type: "reasoning"; text: string };

export interface ReasoningCase {
  readonly family: ToolCallFormat;
  readonly kind: string;
  /** No call expected: the one in the input is the reasoning's. */
  readonly negative: boolean;
  readonly input: string;
  readonly expected: readonly ReasoningEvent[];
}

/**
 * Every family's call in `<think>…</think>`, which a declared family and auto both split out: weighed
 * there and followed by a final answer (reasoning, no call: vLLM runs its reasoning parser first), and
 * after the close (the call). A call the reasoning ends with and no answer follows is the answer's
 * (split-think-tags.ts), so the weighed call always has an answer after it here.
 */
export function reasoningCases(): ReasoningCase[] {
  return (Object.entries(WRITERS) as Array<[ToolCallFormat, FamilyWriter]>).flatMap(([family, writer]): ReasoningCase[] => {
    const one = writer.write([WEATHER]);
    const weighed = `I could check it:\n${one}\nbut I know it already.`;
    return [
      {
        family,
        kind: "call weighed in <think> before a final answer",
        negative: true,
        input: `<think>${weighed}</think>\nIt is sunny in Paris.`,
        expected: [{ type: "reasoning", text: weighed }, text("\nIt is sunny in Paris.")],
      },
      {
        family,
        kind: "call after </think>",
        negative: false,
        input: `<think>I will check the weather.</think>\n${one}`,
        expected: [{ type: "reasoning", text: "I will check the weather." }, text("\n"), ...calls(writer, [WEATHER])],
      },
    ];
  });
}

function merge(events: readonly PositionEvent[]): PositionEvent[] {
  const merged: PositionEvent[] = [];
  for (const event of events) {
    const last = merged.at(-1);
    if (event.type === "text" && last?.type === "text") merged[merged.length - 1] = text(last.text + event.text);
    else merged.push(event);
  }
  return merged;
}

/** Events as the matrix compares them: texts merged, calls without their raw text. */
export function shapeOf(events: readonly ToolParseEvent[]): Array<PositionEvent | { type: "invalid_call"; reason: string }> {
  const shaped: Array<PositionEvent | { type: "invalid_call"; reason: string }> = [];
  for (const event of events) {
    const last = shaped.at(-1);
    if (event.type === "text" && last?.type === "text") last.text += event.text;
    else if (event.type === "text") shaped.push({ type: "text", text: event.text });
    else if (event.type === "tool_call")
      shaped.push({ type: "tool_call", call: { name: event.call.name, arguments: event.call.arguments, untyped: event.call.untyped } });
    else shaped.push({ type: "invalid_call", reason: event.reason });
  }
  return shaped;
}

/**
 * Whether a case is one the parser is asked to read: Gemma 3 is read only where a profile names it
 * (auto takes its fences for code blocks; its quoted cases stay text there too), and its calls are
 * fences already, so a fence around one is not a shape it has.
 */
export function caseApplies(entry: { readonly family: string; readonly kind: string; readonly negative: boolean }, through: "family" | "auto"): boolean {
  if (entry.family !== "gemma3") return true;
  return through === "family" ? entry.kind !== "call in a fence that ends the answer" : entry.negative;
}
