import { createToolSchemaCache, type ToolSchemaCache } from "../tools/check-tool-call.js";
import { createToolCallParser } from "../tools/parsers/index.js";
import type { ParsedToolCall, ToolCallFormat, ToolCallParserOptions, ToolCallTextParser, ToolParseEvent } from "../tools/parsers/types.js";
import type { AnthropicTool, AnthropicToolChoice } from "./anthropic-types.js";
import type { OpenAIToolCallDelta } from "./openai-types.js";
import { customTools, formatInvalidCallNote, resolveNativeToolCall, resolveToolCall, type ResolvedToolCall } from "./tool-calls/resolve-tool-call.js";
import { createStopSequenceMatcher } from "./model-text/match-stop-sequences.js";
import { markupFor } from "./model-text/family-markup.js";
import { createReasoningSplitter, type ContentPart } from "./model-text/split-think-tags.js";
import { createControlTokenStripper } from "./model-text/strip-control-tokens.js";
import { createTrailingTokenDropper } from "./model-text/drop-trailing-tokens.js";
import { textToolFormat } from "./tool-calls/text-tool-format.js";
import type { TranslateDeps, TranslateOptions } from "./translate-options.js";
import { createNativeCallJoiner } from "./tool-calls/join-native-calls.js";
import { createContentBlockWriter, type ContentBlockEvent, type ContentBlockWriter } from "./write-content-blocks.js";

export type { ContentBlockEvent } from "./write-content-blocks.js";

export interface ContentAssemblerContext {
  tools: readonly AnthropicTool[] | undefined;
  /** The request's tool_choice: `none` lets no call through, `tool` only a call to that tool. */
  toolChoice?: AnthropicToolChoice | undefined;
  options: TranslateOptions;
  deps: TranslateDeps;
  /** Compiled tool schemas; pass one per server to compile Claude Code's tools once, not per response. */
  schemaCache?: ToolSchemaCache | undefined;
  /** The request's `stop_sequences`, matched on text content (not on thinking or tool calls). */
  stopSequences?: readonly string[] | undefined;
  /** `true`: only calls in a family's own markup are read; the rest stays text (ToolCallParserOptions.ownMarkupOnly). */
  ownMarkupOnly?: boolean | undefined;
  /** Told of each call the model wrote, as it is emitted: shown as a note instead (rejected), or run, with what was repaired. */
  onToolCall?: ((call: ToolCallOutcome) => void) | undefined;
  /** The answer is stopped where it writes a call again (a stream watched for loops): the text after that call's line is not read. */
  stopAtRepeatedCall?: boolean | undefined;
  emit(event: ContentBlockEvent): void;
}

/** One call the model wrote, for the request's counters: repairs empty when it ran as written. */
export interface ToolCallOutcome {
  rejected: boolean;
  repairs: readonly string[];
}

export interface ContentAssembler {
  /** Model reasoning (`reasoning` / `reasoning_content`): a thinking block, or dropped. */
  reasoning(text: string): void;
  /** Model content: reasoning markup, text tool calls and control tokens are split out of it. */
  content(text: string): void;
  /** A native tool call fragment (whole from mlx, incremental by index from vLLM/llama.cpp). */
  toolCallDelta(delta: OpenAIToolCallDelta, position: number): void;
  /** Text mallex adds at the end (the output-cap note): after all held output, never matched against stop sequences. */
  note(text: string): void;
  /** End of output: releases held text and unfinished calls, closes the open block. */
  finish(): void;
  /**
   * End of output stopped in a loop: as finish, the calls it made released, but a call left unfinished
   * is the loop's next copy begun, dropped rather than shown as a call that failed.
   */
  finishLoop(): void;
  /** The output failed: closes the open block, drops held text and unfinished calls. */
  abort(): void;
  /** Whether a tool_use block was emitted (decides stop_reason). */
  readonly emittedToolUse: boolean;
  /** The stop sequence that ended the text, once one has: everything after it is dropped. */
  readonly stopSequence: string | undefined;
  /** The tool of the first call the answer wrote a second time, the same input: the answer is in a loop. */
  readonly repeatedCall: string | undefined;
}

/**
 * Turns model output into Anthropic content blocks, as one explicit state machine shared by the
 * stream translator and the non-streaming converter, so both follow the same rules:
 *
 * - indices run 0, 1, 2…; at most one block is open and blocks never interleave;
 * - reasoning → a thinking block closed by an empty `signature_delta` (expose), or nothing (strip);
 * - a tool_use block is emitted whole: start, one `input_json_delta`, stop. Native calls are held
 *   until their arguments are complete (mlx sends them whole, so nothing waits there) and checked
 *   first: an invalid call must become a text note, which is impossible once a broken tool_use has
 *   been streamed. The client cannot run a tool before its block stops anyway;
 * - an invalid call, native or parsed from text, becomes its own text block with a note;
 * - text is matched against the request's stop sequences ({@link createStopSequenceMatcher}): what
 *   could begin one is held until it is decided or a non-text block comes (no sequence spans one);
 *   at a match the text is cut before it and the output ends there: nothing after it is emitted.
 */
export function createContentAssembler(ctx: ContentAssemblerContext): ContentAssembler {
  const tools = requestTools(ctx);
  const { format, parser: toolParser } = tools;
  // Content goes through the family's own markup (every family's in auto; family-markup.ts): the
  // tokens the output ends with dropped, reasoning split out, then calls parsed, then control tokens
  // removed from the text that is left (never from a call's arguments).
  const markup = markupFor(format);
  const thinkSplitter = createReasoningSplitter(markup.reasoning);
  const trailingTokens = createTrailingTokenDropper(markup.trailingTokens);
  const blocks = createContentBlockWriter(ctx.emit);
  const answer = createAnswerText(markup.controlTokens, ctx.stopSequences, blocks);
  let drained = false;
  // The reasoning's last characters: read for calls when the answer itself has none (see callsEndingReasoning).
  let reasoningTail = "";
  const nativeCalls = createNativeCallJoiner(tools.resolveNative);
  const calls = createCallWriter(ctx, blocks, answer);

  function reasoning(text: string): void {
    if (answer.stopSequence !== undefined) return;
    if (toolParser !== undefined) reasoningTail = keepTail(reasoningTail + text);
    if (ctx.options.thinking === "expose") {
      answer.release();
      blocks.append("thinking", text);
    }
  }

  function handleContentPart(part: ContentPart): void {
    if (answer.stopSequence !== undefined) return;
    if (part.kind === "reasoning") return reasoning(part.text);
    if (toolParser === undefined) return answer.feed(part.text);
    for (const event of toolParser.feed(part.text)) handleParseEvent(event);
  }

  function handleParseEvent(event: ToolParseEvent): void {
    if (answer.stopSequence !== undefined) return;
    switch (event.type) {
      case "text":
        return answer.feed(event.text);
      case "tool_call":
        return calls.write(tools.resolve(event.call));
      case "invalid_call":
        return calls.write({ type: "invalid", note: formatInvalidCallNote(event.reason, event.raw) });
      default:
        return event satisfies never;
    }
  }

  /** Releases everything held, once; after a stop sequence that is nothing. */
  function drain(): void {
    if (drained) return;
    drained = true;
    for (const part of thinkSplitter.feed(trailingTokens.end())) handleContentPart(part);
    for (const part of thinkSplitter.end()) handleContentPart(part);
    // Stopped in a loop, text the parser held (a tag begun) is the next copy's start, not words.
    if (toolParser !== undefined) for (const event of toolParser.end()) if (!(calls.inLoop && event.type === "text")) handleParseEvent(event);
    if (answer.stopSequence !== undefined) return;
    answer.release();
    for (const call of nativeCalls.unfinished()) calls.write(call);
    // Some models (Qwen3 under vLLM's and mlx-lm's reasoning parsers) write their call only in the
    // reasoning: with no answer at all, the calls the reasoning ends with are the answer.
    if (!blocks.emittedText && !blocks.emittedToolUse && !nativeCalls.started && reasoningTail.trim() !== "") {
      for (const call of callsEndingReasoning(reasoningTail, format, tools.parserOptions)) handleParseEvent(call);
    }
  }

  return {
    reasoning,
    content(text) {
      for (const part of thinkSplitter.feed(trailingTokens.feed(calls.untilRepeatedLine(text)))) handleContentPart(part);
    },
    toolCallDelta(delta, position) {
      if (answer.stopSequence !== undefined) return;
      const whole = nativeCalls.feed(delta, position);
      if (whole !== undefined) calls.write(whole);
    },
    note(text) {
      drain();
      blocks.append("text", text);
    },
    finish() {
      drain();
      blocks.close();
    },
    finishLoop() {
      calls.stopInLoop();
      drain();
      blocks.close();
    },
    abort: () => blocks.close(),
    get emittedToolUse() {
      return blocks.emittedToolUse;
    },
    get stopSequence() {
      return answer.stopSequence;
    },
    get repeatedCall() {
      return calls.repeatedCall;
    },
  };
}

/**
 * Writes each call the answer makes as a whole tool_use block (an invalid one as its note), once: the
 * same tool with the same input again is the mark of a loop (`repeatedCall`), counted, not run twice —
 * a second Read tells nothing new, a second Bash may append twice. Once the output was stopped in a
 * loop (finishLoop), what is left unfinished is a copy begun, not a failed call.
 */
function createCallWriter(ctx: ContentAssemblerContext, blocks: ContentBlockWriter, answer: AnswerText) {
  const callsMade = new Set<string>();
  let repeatedCall: string | undefined;
  let inLoop = false;
  // Calls written as JSON lines are read only once the answer ends; their lines tell a loop sooner.
  const callLines = createCallLineWatcher((tool) => (repeatedCall ??= tool));
  return {
    write(call: ResolvedToolCall): void {
      const resolved = enforceToolChoice(call, ctx.toolChoice);
      if (resolved.type === "invalid" && inLoop) return;
      if (resolved.type !== "invalid") {
        const key = JSON.stringify([resolved.name, resolved.input]);
        if (callsMade.has(key)) {
          repeatedCall ??= resolved.name;
          return ctx.onToolCall?.({ rejected: false, repairs: [REPEATED_CALL] });
        }
        callsMade.add(key);
      }
      ctx.onToolCall?.(resolved.type === "invalid" ? { rejected: true, repairs: [] } : { rejected: false, repairs: resolved.repairs ?? [] });
      answer.release();
      blocks.writeCall(resolved);
    },
    /** The answer's text up to the end of a line that writes a call again (ctx.stopAtRepeatedCall), else all of it. */
    untilRepeatedLine: (text: string): string => (ctx.stopAtRepeatedCall === true && repeatedCall === undefined ? text.slice(0, callLines.feed(text)) : text),
    stopInLoop: (): void => void (inLoop = true),
    get repeatedCall() {
      return repeatedCall;
    },
    get inLoop() {
      return inLoop;
    },
  };
}

/** The request's tools: how the model's text is read for calls, and how a call is checked against them. */
interface RequestTools {
  readonly format: ToolCallFormat | "auto";
  readonly parserOptions: ToolCallParserOptions;
  /** Reads calls out of the answer's text; absent without tools. */
  readonly parser: ToolCallTextParser | undefined;
  resolve(call: ParsedToolCall): ResolvedToolCall;
  resolveNative(name: string | undefined, argumentsText: string): ResolvedToolCall;
}

function requestTools(ctx: ContentAssemblerContext): RequestTools {
  const tools = customTools(ctx.tools);
  const format = textToolFormat(ctx.options);
  // A call can only be valid against the request's tools; with none, text is left alone.
  const parserOptions: ToolCallParserOptions = { toolNames: tools.map((tool) => tool.name), ...(ctx.ownMarkupOnly === true ? { ownMarkupOnly: true } : {}) };
  const parser = tools.length > 0 ? createToolCallParser(format, parserOptions) : undefined;
  // Without a shared cache, one per response, created only when a call comes.
  let schemaCache = ctx.schemaCache;
  const schemas = (): ToolSchemaCache => (schemaCache ??= createToolSchemaCache());
  return {
    format,
    parserOptions,
    parser,
    resolve: (call) => resolveToolCall(call, tools, ctx.deps, schemas()),
    resolveNative: (name, argumentsText) => resolveNativeToolCall(name, argumentsText, tools, ctx.deps, schemas()),
  };
}

/** The answer's text on its way into text blocks: control tokens removed, then matched against the request's stop sequences. */
interface AnswerText {
  feed(text: string): void;
  /** Before a block that is not text: text held as a possible stop sequence start is text after all. */
  release(): void;
  /** The stop sequence that ended the text, once one has: everything after it is dropped. */
  readonly stopSequence: string | undefined;
}

function createAnswerText(controlTokens: readonly string[], stopSequences: readonly string[] | undefined, blocks: ContentBlockWriter): AnswerText {
  const tokenStripper = createControlTokenStripper(controlTokens);
  const stopMatcher = stopSequences?.length ? createStopSequenceMatcher(stopSequences) : undefined;
  let stopSequence: string | undefined;

  /** Model text, through the stop-sequence matcher. */
  function appendText(text: string): void {
    if (stopMatcher === undefined) return blocks.append("text", text);
    const match = stopMatcher.feed(text);
    if (match.text !== "") blocks.append("text", match.text);
    if (match.stop !== undefined) stopSequence = match.stop;
  }

  return {
    feed(text) {
      const kept = tokenStripper.feed(text);
      if (kept !== "") appendText(kept);
    },
    release() {
      const partialToken = tokenStripper.release();
      if (partialToken !== "") appendText(partialToken);
      const held = stopMatcher?.release();
      if (held) blocks.append("text", held);
    },
    get stopSequence() {
      return stopSequence;
    },
  };
}

/** The repair a call the answer already made is counted as: dropped, not run twice. */
export const REPEATED_CALL = "the same call again in one answer → dropped";

/**
 * Watches the answer's text line by line for a line that is a whole call as JSON
 * (`{"name": "Write", "arguments": {…}}`) and the same as an earlier one: `repeated` is told that
 * call's tool, and `feed` says how much of its text to keep: up to that line's end, the next copy's
 * start left out. Small models loop on such lines, and a call that writes a file is long.
 */
function createCallLineWatcher(repeated: (tool: string) => void): { feed(text: string): number } {
  const seen = new Set<string>();
  let line = "";
  return {
    feed(text) {
      // A line is read once, when it ends: a long one fed in small pieces is not scanned again at each.
      if (!text.includes("\n")) {
        line += text;
        return text.length;
      }
      // Where `text` starts in `line`, as complete lines are taken off its front.
      let start = line.length;
      line += text;
      for (let end = line.indexOf("\n"); end !== -1; end = line.indexOf("\n")) {
        const whole = line.slice(0, end).trim();
        line = line.slice(end + 1);
        start -= end + 1;
        const tool = callLineTool(whole);
        if (tool === undefined) continue;
        if (seen.has(whole)) {
          repeated(tool);
          return -start;
        }
        seen.add(whole);
      }
      return text.length;
    },
  };
}

/** The tool a line names where it is one call as JSON (a `name` and its `arguments` or `parameters`). */
function callLineTool(line: string): string | undefined {
  if (!line.startsWith("{") || !line.endsWith("}")) return undefined;
  try {
    const value = JSON.parse(line) as { name?: unknown; arguments?: unknown; parameters?: unknown } | null;
    return typeof value?.name === "string" && (value.arguments !== undefined || value.parameters !== undefined) ? value.name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A call the request's tool_choice forbids is not a tool_use the client may run: `none` allows no
 * call, and `tool` only the named one. It is shown as a note, like any call that cannot run.
 */
function enforceToolChoice(call: ResolvedToolCall, choice: AnthropicToolChoice | undefined): ResolvedToolCall {
  if (call.type !== "tool_use") return call;
  const raw = `${call.name} ${JSON.stringify(call.input)}`;
  if (choice?.type === "none") return { type: "invalid", note: formatInvalidCallNote("the request's tool_choice is none", raw) };
  if (choice?.type === "tool" && call.name !== choice.name) {
    return { type: "invalid", note: formatInvalidCallNote(`the request's tool_choice requires a call to "${choice.name}"`, raw) };
  }
  return call;
}

/** The reasoning kept for calls at its end: its last characters, enough for any call a model writes whole. */
const REASONING_TAIL_CHARS = 1 << 20;

function keepTail(text: string): string {
  return text.length > 2 * REASONING_TAIL_CHARS ? text.slice(-REASONING_TAIL_CHARS) : text;
}

/**
 * The calls `reasoning` ends with: those after its last words (a call it considered and went on
 * from is not one it made). None when it ends in words.
 */
function callsEndingReasoning(reasoning: string, format: ReturnType<typeof textToolFormat>, options: ToolCallParserOptions): ToolParseEvent[] {
  const parser = createToolCallParser(format, options);
  const events = [...parser.feed(reasoning.slice(-REASONING_TAIL_CHARS)), ...parser.end()];
  const lastWords = events.findLastIndex((event) => event.type === "text" && event.text.trim() !== "");
  return events.slice(lastWords + 1).filter((event) => event.type === "tool_call");
}
