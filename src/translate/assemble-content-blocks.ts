import { createToolSchemaCache, type ToolSchemaCache } from "../tools/check-tool-call.js";
import { createJsonObjectTracker, MAX_ARGUMENT_DEPTH, type JsonObjectTracker } from "./tool-calls/track-json-object.js";
import { createToolCallParser } from "../tools/parsers/index.js";
import type { ToolCallParserOptions, ToolParseEvent } from "../tools/parsers/types.js";
import type { AnthropicStreamEvent, AnthropicTool, AnthropicToolChoice } from "./anthropic-types.js";
import type { OpenAIToolCallDelta } from "./openai-types.js";
import { customTools, formatInvalidCallNote, resolveNativeToolCall, resolveToolCall, type ResolvedToolCall } from "./tool-calls/resolve-tool-call.js";
import { createStopSequenceMatcher } from "./model-text/match-stop-sequences.js";
import { markupFor } from "./model-text/family-markup.js";
import { createReasoningSplitter, type ContentPart } from "./model-text/split-think-tags.js";
import { createControlTokenStripper } from "./model-text/strip-control-tokens.js";
import { createTrailingTokenDropper } from "./model-text/drop-trailing-tokens.js";
import { textToolFormat } from "./tool-calls/text-tool-format.js";
import type { TranslateDeps, TranslateOptions } from "./translate-options.js";

/** The block events an assembler emits; message-level events are the caller's. */
export type ContentBlockEvent = Extract<AnthropicStreamEvent, { type: "content_block_start" | "content_block_delta" | "content_block_stop" }>;

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
  /** The output failed: closes the open block, drops held text and unfinished calls. */
  abort(): void;
  /** Whether a tool_use block was emitted (decides stop_reason). */
  readonly emittedToolUse: boolean;
  /** The stop sequence that ended the text, once one has: everything after it is dropped. */
  readonly stopSequence: string | undefined;
}

/** A native tool call being assembled from fragments: joined once, when it is whole. */
interface PendingCall {
  name: string | undefined;
  parts: string[];
  json: JsonObjectTracker;
  done: boolean;
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
  const tools = customTools(ctx.tools);
  const format = textToolFormat(ctx.options);
  // A call can only be valid against the request's tools; with none, text is left alone.
  const parserOptions: ToolCallParserOptions = { toolNames: tools.map((tool) => tool.name), ...(ctx.ownMarkupOnly === true ? { ownMarkupOnly: true } : {}) };
  const toolParser = tools.length > 0 ? createToolCallParser(format, parserOptions) : undefined;
  // Content goes through the family's own markup (every family's in auto; family-markup.ts): the
  // tokens the output ends with dropped, reasoning split out, then calls parsed, then control tokens
  // removed from the text that is left (never from a call's arguments).
  const markup = markupFor(format);
  const thinkSplitter = createReasoningSplitter(markup.reasoning);
  const tokenStripper = createControlTokenStripper(markup.controlTokens);
  const trailingTokens = createTrailingTokenDropper(markup.trailingTokens);
  const stopMatcher = ctx.stopSequences?.length ? createStopSequenceMatcher(ctx.stopSequences) : undefined;
  const { emit } = ctx;
  let stopSequence: string | undefined;
  let drained = false;

  let openBlock: { kind: "text" | "thinking"; index: number } | undefined;
  let nextIndex = 0;
  let emittedToolUse = false;
  let emittedText = false;
  // The reasoning's last characters: read for calls when the answer itself has none (see callsEndingReasoning).
  let reasoningTail = "";
  const pendingCalls: PendingCall[] = [];
  const callsByIndex = new Map<number, PendingCall>();
  // Without a shared cache, one per response, created only when a call comes.
  let schemaCache = ctx.schemaCache;
  const schemas = (): ToolSchemaCache => (schemaCache ??= createToolSchemaCache());

  function closeBlock(): void {
    if (openBlock === undefined) return;
    // Claude Code accepts an empty signature locally (llama.cpp sends "" too); the SDK expects
    // the signature_delta right before the thinking block stops.
    if (openBlock.kind === "thinking") {
      emit({ type: "content_block_delta", index: openBlock.index, delta: { type: "signature_delta", signature: "" } });
    }
    emit({ type: "content_block_stop", index: openBlock.index });
    openBlock = undefined;
  }

  /** The model's answer text: control tokens removed, then on to the stop-sequence matcher. */
  function appendModelText(text: string): void {
    const kept = tokenStripper.feed(text);
    if (kept !== "") appendText(kept);
  }

  /** Model text, through the stop-sequence matcher. */
  function appendText(text: string): void {
    if (stopMatcher === undefined) return appendToBlock("text", text);
    const match = stopMatcher.feed(text);
    if (match.text !== "") appendToBlock("text", match.text);
    if (match.stop !== undefined) stopSequence = match.stop;
  }

  /** Before a block that is not text: text held as a possible stop sequence start is text after all. */
  function releaseHeldText(): void {
    const partialToken = tokenStripper.release();
    if (partialToken !== "") appendText(partialToken);
    const held = stopMatcher?.release();
    if (held) appendToBlock("text", held);
  }

  function appendToBlock(kind: "text" | "thinking", text: string): void {
    if (kind !== "text") releaseHeldText();
    if (openBlock?.kind !== kind) {
      // Newlines at the start of a block are template residue ("</think>\n\n"), not content;
      // dropping them keeps whitespace-only blocks from appearing between reasoning and a call.
      text = text.replace(/^[\r\n]+/, "");
      if (text === "") return;
      closeBlock();
      openBlock = { kind, index: nextIndex++ };
      if (kind === "text") emittedText = true;
      emit({
        type: "content_block_start",
        index: openBlock.index,
        content_block: kind === "text" ? { type: "text", text: "" } : { type: "thinking", thinking: "", signature: "" },
      });
    }
    emit({
      type: "content_block_delta",
      index: openBlock.index,
      delta: kind === "text" ? { type: "text_delta", text } : { type: "thinking_delta", thinking: text },
    });
  }

  function emitWholeBlock(call: ResolvedToolCall): void {
    const resolved = enforceToolChoice(call, ctx.toolChoice);
    ctx.onToolCall?.(resolved.type === "invalid" ? { rejected: true, repairs: [] } : { rejected: false, repairs: resolved.repairs ?? [] });
    releaseHeldText();
    closeBlock();
    const index = nextIndex++;
    if (resolved.type === "invalid") {
      emit({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
      emit({ type: "content_block_delta", index, delta: { type: "text_delta", text: resolved.note } });
    } else {
      emittedToolUse = true;
      emit({
        type: "content_block_start",
        index,
        content_block: { type: "tool_use", id: resolved.id, name: resolved.name, input: {} },
      });
      emit({
        type: "content_block_delta",
        index,
        delta: { type: "input_json_delta", partial_json: JSON.stringify(resolved.input) },
      });
    }
    emit({ type: "content_block_stop", index });
  }

  function reasoning(text: string): void {
    if (stopSequence !== undefined) return;
    if (toolParser !== undefined) reasoningTail = keepTail(reasoningTail + text);
    if (ctx.options.thinking === "expose") appendToBlock("thinking", text);
  }

  function handleContentPart(part: ContentPart): void {
    if (stopSequence !== undefined) return;
    if (part.kind === "reasoning") return reasoning(part.text);
    if (toolParser === undefined) return appendModelText(part.text);
    for (const event of toolParser.feed(part.text)) handleParseEvent(event);
  }

  function handleParseEvent(event: ToolParseEvent): void {
    if (stopSequence !== undefined) return;
    switch (event.type) {
      case "text":
        return appendModelText(event.text);
      case "tool_call":
        return emitWholeBlock(resolveToolCall(event.call, tools, ctx.deps, schemas()));
      case "invalid_call":
        return emitWholeBlock({ type: "invalid", note: formatInvalidCallNote(event.reason, event.raw) });
      default:
        return event satisfies never;
    }
  }

  function toolCallDelta(delta: OpenAIToolCallDelta, position: number): void {
    if (stopSequence !== undefined) return;
    // mlx and vLLM send `index`; a server that sends whole calls without it is keyed by position.
    const key = delta.index ?? position;
    const name = delta.function?.name ?? undefined;
    let call = callsByIndex.get(key);
    if (call === undefined || (call.done && (Boolean(name) || Boolean(delta.id)))) {
      call = { name: undefined, parts: [], json: createJsonObjectTracker(), done: false };
      callsByIndex.set(key, call);
      pendingCalls.push(call);
    }
    if (call.done) return; // after complete JSON only whitespace can follow
    // The name comes once, on the first fragment; a server repeating it must not double it.
    if (call.name === undefined && name) call.name = name;
    const fragment = delta.function?.arguments ?? "";
    if (fragment !== "") call.parts.push(fragment);
    const state = call.json.feed(fragment);
    if (state === "too-deep") {
      call.done = true;
      return emitWholeBlock({
        type: "invalid",
        note: formatInvalidCallNote(
          `its arguments nest deeper than ${MAX_ARGUMENT_DEPTH} levels`,
          `${call.name ?? "(no name)"} ${call.parts.join("").slice(0, 200)}…`,
        ),
      });
    }
    if (state === "closed" && call.name !== undefined) finishCall(call);
  }

  function finishCall(call: PendingCall): void {
    call.done = true;
    emitWholeBlock(resolveNativeToolCall(call.name, call.parts.join(""), tools, ctx.deps, schemas()));
  }

  /** Releases everything held, once; after a stop sequence that is nothing. */
  function drain(): void {
    if (drained) return;
    drained = true;
    for (const part of thinkSplitter.feed(trailingTokens.end())) handleContentPart(part);
    for (const part of thinkSplitter.end()) handleContentPart(part);
    if (toolParser !== undefined) for (const event of toolParser.end()) handleParseEvent(event);
    if (stopSequence !== undefined) return;
    releaseHeldText();
    // Unfinished calls are shown, not dropped: cut by max_tokens, their JSON is incomplete.
    for (const call of pendingCalls) if (!call.done) finishCall(call);
    // Some models (Qwen3 under vLLM's and mlx-lm's reasoning parsers) write their call only in the
    // reasoning: with no answer at all, the calls the reasoning ends with are the answer.
    if (!emittedText && !emittedToolUse && pendingCalls.length === 0 && reasoningTail.trim() !== "") {
      for (const call of callsEndingReasoning(reasoningTail, format, parserOptions)) handleParseEvent(call);
    }
  }

  function finish(): void {
    drain();
    closeBlock();
  }

  return {
    reasoning,
    content(text) {
      for (const part of thinkSplitter.feed(trailingTokens.feed(text))) handleContentPart(part);
    },
    toolCallDelta,
    note(text) {
      drain();
      appendToBlock("text", text);
    },
    finish,
    abort: closeBlock,
    get emittedToolUse() {
      return emittedToolUse;
    },
    get stopSequence() {
      return stopSequence;
    },
  };
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
