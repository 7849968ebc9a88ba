/**
 * Contract shared by every text tool-call parser (one file per model family).
 *
 * A parser is fed the model's text output chunk by chunk, in the order it arrives, and returns the
 * events that chunk completes. It must give the same result for any split of the same bytes: after
 * merging adjacent `text` events, the event list is identical whatever the chunk boundaries were.
 */

/** The text formats local models write their tool calls in. */
export type ToolCallFormat =
  | "hermes" // Qwen2.5 / Qwen3 / Hermes: <tool_call>{"name":…,"arguments":{…}}</tool_call>
  | "qwen3-coder" // <tool_call><function=X><parameter=k>v</parameter></function></tool_call> (wrapper optional)
  | "llama3-json" // [<|python_tag|>]{"name":…,"parameters"|"arguments":{…}} separated by "; "
  | "mistral" // [TOOL_CALLS] [{…}] (pre-v11) and [TOOL_CALLS]name[ARGS]{…} (v11+)
  | "glm45" // <tool_call>name\n<arg_key>k</arg_key>\n<arg_value>v</arg_value></tool_call>
  | "deepseek-v3" // <｜tool▁calls▁begin｜>… (V3/R1 and V3.1 forms)
  | "deepseek-dsml" // V3.2 / V4: <｜DSML｜function_calls> (V4: <｜DSML｜tool_calls>)<｜DSML｜invoke name="X"><｜DSML｜parameter name="k" string="true">v…
  | "kimi-k2" // <|tool_calls_section_begin|><|tool_call_begin|>functions.X:0<|tool_call_argument_begin|>{…}…
  | "mallex-xml" // mallex's own template: <invoke name="X"><parameter name="k">v</parameter></invoke>
  | "minimax-m2" // <minimax:tool_call><invoke name="X"><parameter name="k">v</parameter></invoke></minimax:tool_call>
  | "gpt-oss" // harmony: <|channel|>commentary to=functions.X <|constrain|>json<|message|>{…}<|call|>
  | "seed-oss" // <seed:tool_call><function=X><parameter=k>v</parameter></function></seed:tool_call>
  | "pythonic" // Llama 3.2/4, LFM2: [f(a="x", b=1)] as the whole output, or in <|python_start|> / <|tool_call_start|>
  | "granite" // Granite 3.x, Phi-4-mini: <|tool_call|>[{"name":…,"arguments":{…}}] (optional <|/tool_call|>)
  | "functionary-v31" // <function=X>{…}</function>
  | "command-r" // <|START_ACTION|>[{"tool_name":…,"parameters":{…}}]<|END_ACTION|>, Action: ```json […]```
  | "nemotron" // <TOOLCALL>[{"name":…,"arguments":{…}}]</TOOLCALL>
  | "apertus" // <|tools_prefix|>[{"X": {…}}]<|tools_suffix|>
  | "apriel" // <tool_calls>[{"name":…,"arguments":{…}}]</tool_calls>
  | "firefunction-v2" // functools[{"name":…,"arguments":{…}}]
  | "longcat" // <longcat_tool_call>X<longcat_arg_key>k</longcat_arg_key><longcat_arg_value>v</longcat_arg_value>…
  | "gemma4" // <|tool_call>call:X{k:<|"|>v<|"|>}<tool_call|>
  | "function-gemma" // <start_function_call>call:X{k:<escape>v<escape>}<end_function_call>
  | "gemma3"; // ```tool_code\nX(k="v")\n```

export interface ToolCallParserOptions {
  /**
   * The request's tool names. `auto` takes a call that has no marker (Llama 3's bare JSON, a
   * pythonic list) only when it names one of them; compared case-insensitively, `functions.` allowed.
   */
  readonly toolNames?: readonly string[];
  /**
   * `true`: only calls in a family's own markup are read. A call with no marker — bare JSON, a
   * pythonic list, a JSON object filling a fence — and a Hermes call in another wrapper tag (`<tools>`,
   * `<json>`…) are text, whatever tool they name. For an answer to a user who asked to be shown a
   * call, not for the work (see asksToSeeACall): the real Qwen2.5-Coder-1.5B writes the call it shows
   * exactly as the calls it means (a ```json fence alone, or `<tools>`).
   */
  readonly ownMarkupOnly?: boolean;
}

/** A parsed call. `arguments` values are raw strings for formats that write untyped values (XML, GLM). */
export interface ParsedToolCall {
  name: string;
  arguments: Record<string, unknown>;
  /** Whether argument values are untyped text that still needs coercion to the tool's input_schema. */
  untyped: boolean;
  /** The exact text the call was parsed from (markers included), to show the user if the call is invalid. */
  raw: string;
  /** What the parser had to repair to read it (JSON in Python style, closers of a call cut off); absent: read as written. */
  repaired?: string;
}

export type ToolParseEvent =
  | { type: "text"; text: string }
  | { type: "tool_call"; call: ParsedToolCall }
  /** A call whose markers were found but whose body could not be parsed: never dropped, shown as text. */
  | { type: "invalid_call"; raw: string; reason: string };

export interface ToolCallTextParser {
  /** Feeds the next chunk of model output; returns the events it completes (possibly none). */
  feed(chunk: string): ToolParseEvent[];
  /** The model finished: flush held-back text and any unterminated call. */
  end(): ToolParseEvent[];
}
