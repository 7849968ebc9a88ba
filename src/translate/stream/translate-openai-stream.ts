import { estimateTokens } from "../estimate-tokens.js";
import { createContentAssembler, type ContentAssembler } from "../assemble-content-blocks.js";
import type { AnthropicResponseContext } from "../convert-openai-response.js";
import type { AnthropicErrorType, AnthropicStreamEvent } from "../anthropic-types.js";
import { convertOpenAIUsage } from "../convert-openai-usage.js";
import { describeReportedError } from "../describe-reported-error.js";
import { driveStreamTranslator, type StreamTranslatorDriver, type TranslationSource } from "./drive-stream-translator.js";
import { mapFinishReason } from "../map-finish-reason.js";
import { cutToRoom, overrunChars } from "../max-tokens-overrun.js";
import { settleLength } from "../output-cap-note.js";
import { watchForRepeats, type RepeatWatcher, type Repetition } from "../model-text/watch-repeats.js";
import type { OpenAIChunk, OpenAIChunkChoice, OpenAIChunkDelta, OpenAIToolCallDelta, OpenAIUsage } from "../openai-types.js";
import type { StreamStageController, StreamTransformer, TranslatorInput } from "./stream-types.js";

export type { StreamSignal, TranslatorInput } from "./stream-types.js";

export interface AnthropicStreamContext extends AnthropicResponseContext {
  /** Reported in message_start until the usage chunk gives the real count in message_delta. */
  inputTokensEstimate?: number;
}

/**
 * OpenAI chunks (plus the server's signals) → Anthropic stream events, as an explicit state
 * machine: `streaming` → (finish_reason) `finished` → (`[DONE]`/EOF) `closed`.
 *
 * - `message_start` is emitted at start, once, followed by a `ping` (as the API does), so Claude
 *   Code sees the response begin even while the backend is still prefilling. A `ping` signal
 *   written by the server's keepalive timer becomes a `ping` event at any time before the end.
 * - Content blocks follow {@link createContentAssembler}: contiguous indices, never interleaved,
 *   tool_use emitted whole after checking.
 * - `[DONE]`, or EOF after a finish_reason, sends message_delta (mapped stop_reason, usage from
 *   the usage chunk, output_tokens always present) and message_stop.
 * - A stop sequence in the text ends the message at once (`stop_reason: "stop_sequence"`, the
 *   sequence in `stop_sequence`, output tokens estimated from the characters generated, as no usage
 *   chunk will come) and terminates the translator, which cancels the upstream body: the backend
 *   stops generating, as it does when a client hangs up.
 *
 * Failures (EOF with neither `[DONE]` nor a finish_reason, a malformed chunk, an error chunk, an
 * `upstream-error` signal): the open block is closed and ONE `error` event ends the stream, with
 * no message_delta/message_stop after it. That is what the Anthropic API itself does, and the SDK
 * throws on `error` anyway; a message_stop after it would let a lenient client take a truncated
 * answer as complete. Claude Code then retries the request (non-streaming). The translator also
 * terminates itself, which cancels a piped upstream body so the backend stops generating.
 * A failure after finish_reason (a timeout waiting for the usage chunk) keeps the complete answer:
 * the message is closed normally, only without usage.
 *
 * @see docs/proxy.md, "Translation and tool calls"; "Streaming Messages" in Anthropic's API reference (the event order this keeps)
 */
export function createAnthropicStreamTranslator(
  ctx: AnthropicStreamContext,
  options: StreamTranslatorOptions = {},
): TransformStream<TranslatorInput, AnthropicStreamEvent> {
  const transformer = createAnthropicStreamTransformer(ctx);
  let driver!: StreamTranslatorDriver;
  // The driver the server runs on the backend's body (src/pipeline/pump-answer.ts), here between a
  // TransformStream's two sides: the stream's own backpressure holds the writer, its end lets go of
  // what is piped into it, and a reader's cancel stops the pings (`cancel`, which Node's types do not name yet).
  const stage = {
    start(controller: TransformStreamDefaultController<AnthropicStreamEvent>) {
      const sink = {
        event: (event: AnthropicStreamEvent) => controller.enqueue(event),
        flush: () => true,
        end: () => controller.terminate(),
        error: (reason: unknown) => controller.error(reason),
      };
      driver = driveStreamTranslator({ transformer, pingIntervalMs: options.pingIntervalMs }, sink, WEB_SOURCE);
    },
    transform(part: TranslatorInput) {
      driver.part(part);
      driver.flush();
    },
    flush() {
      driver.finish();
    },
    cancel() {
      driver.cancel();
    },
  };
  return new TransformStream<TranslatorInput, AnthropicStreamEvent>(stage);
}

export interface StreamTranslatorOptions {
  /**
   * A `ping` event after this long without a part, as the server sends them while a model prefills
   * (absent: only the `ping` signals written into the stream).
   */
  pingIntervalMs?: number;
}

/** A TransformStream's writable side needs no hold or drain of the driver's: backpressure and cancellation are the streams' own. */
const WEB_SOURCE: TranslationSource = { hold() {}, drain() {}, letGo() {} };

/**
 * The translator's transformer alone (start, transform, flush), which driveStreamTranslator runs: on
 * the backend's body in the server (src/pipeline/pump-answer.ts), in createAnthropicStreamTranslator
 * between a TransformStream's sides.
 */
export function createAnthropicStreamTransformer(ctx: AnthropicStreamContext): StreamTransformer<TranslatorInput, AnthropicStreamEvent> {
  let out!: StreamStageController<AnthropicStreamEvent>;
  const emit = (event: AnthropicStreamEvent): void => out.enqueue(event);
  const t: Translation = {
    ctx,
    emit,
    terminate: () => out.terminate(),
    phase: "streaming",
    finishReason: undefined,
    usage: undefined,
    generatedChars: 0,
    overrunLimit: ctx.maxTokens === undefined ? Infinity : overrunChars(ctx.maxTokens),
    stoppedByMallex: false,
    repeats: ctx.stopRepeats === undefined ? undefined : watchForRepeats(ctx.stopRepeats),
    repetition: undefined,
    blocks: createContentAssembler({ ...ctx, emit, stopAtRepeatedCall: ctx.stopRepeats !== undefined }),
  };
  return {
    start(controller) {
      out = controller;
      emit(messageStart(ctx));
      emit({ type: "ping" });
    },

    transform(part) {
      if ("success" in part) {
        if (part.success) return handleChunk(t, part.value);
        return fail(t, "api_error", `The model server sent a malformed stream chunk: ${part.error.message}`);
      }
      switch (part.type) {
        case "ping":
          if (t.phase !== "closed") emit({ type: "ping" });
          return;
        case "done":
          if (t.phase === "length") settleFinish(t);
          if (t.phase === "streaming") finishContent(t);
          if (t.phase === "finished") finishMessage(t);
          return;
        case "upstream-error":
          return fail(t, part.error.type, part.error.message);
        default:
          return part satisfies never;
      }
    },

    flush() {
      if (t.phase === "length") settleFinish(t);
      if (t.phase === "finished") return finishMessage(t);
      fail(t, "api_error", "The model server closed the stream before the response was complete (no finish_reason, no [DONE]).", false);
    },
  };
}

/** One stream's translation between parts. */
interface Translation {
  readonly ctx: AnthropicStreamContext;
  readonly emit: (event: AnthropicStreamEvent) => void;
  /** Ends the stream, which cancels a piped upstream body so the backend stops generating. */
  readonly terminate: () => void;
  /** "length": finish_reason was length, and the usage chunk that tells the context from max_tokens is awaited. */
  phase: "streaming" | "length" | "finished" | "closed";
  finishReason: string | undefined;
  usage: OpenAIUsage | undefined;
  generatedChars: number;
  readonly overrunLimit: number;
  /** mallex ended the generation (a stop sequence, an overrun, a loop): no usage chunk will come. */
  stoppedByMallex: boolean;
  /** Watches the answer for a loop (AnthropicResponseContext.stopRepeats). */
  readonly repeats: RepeatWatcher | undefined;
  /** The loop the answer fell into, once it has: the answer ends with this chunk. */
  repetition: Repetition | undefined;
  readonly blocks: ContentAssembler;
}

/** The event that opens the message, before any content: the input estimated until the usage chunk gives the real count. */
function messageStart(ctx: AnthropicStreamContext): AnthropicStreamEvent {
  return {
    type: "message_start",
    message: {
      id: ctx.deps.generateId("msg"),
      type: "message",
      role: "assistant",
      model: ctx.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: ctx.inputTokensEstimate ?? 0,
        output_tokens: 0,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    },
  };
}

function handleChunk(t: Translation, chunk: OpenAIChunk): void {
  const { ctx, blocks } = t;
  if (chunk.error !== undefined && chunk.error !== null) {
    return fail(t, "api_error", describeReportedError(chunk.error));
  }
  // mlx sends usage in its own chunk with `choices: []`; others with `choices: null` or inline.
  if (chunk.usage !== undefined && chunk.usage !== null) t.usage = ctx.prewarm ? { ...chunk.usage, completion_tokens: 0 } : chunk.usage;
  if (t.phase === "length" && t.usage !== undefined) return settleFinish(t);
  if (t.phase !== "streaming") return; // after finish_reason only usage is expected
  // One completion is requested (n = 1): choice 0 is the answer.
  const choice = firstChoice(chunk);
  if (choice === undefined) return;
  if (ctx.prewarm) {
    // The one token a pre-warm asked for is not the client's: only the end is.
    if (choice.finish_reason) settlePrewarm(t);
    return;
  }
  const delta = choice.delta ?? NO_DELTA;
  const reasoning = admit(t, delta.reasoning ?? delta.reasoning_content);
  if (reasoning) blocks.reasoning(reasoning);
  // Content before finish_reason: some servers put the last text and the reason in one chunk.
  const content = admit(t, delta.content);
  if (content) blocks.content(content);
  const calls = delta.tool_calls;
  if (calls) {
    for (let position = 0; position < calls.length; position++) {
      blocks.toolCallDelta(admitCall(t, calls[position]!), position);
    }
  }
  if (blocks.stopSequence !== undefined) return stopAtSequence(t);
  if (t.generatedChars > t.overrunLimit) return stopOverrun(t);
  if (t.repetition !== undefined && !choice.finish_reason) {
    ctx.onRepeats?.(t.repetition);
    return stopInLoop(t);
  }
  if (ctx.stopRepeats !== undefined && blocks.repeatedCall !== undefined && !choice.finish_reason) {
    ctx.onRepeatedCall?.(blocks.repeatedCall);
    return stopInLoop(t);
  }
  if (choice.finish_reason) {
    t.finishReason = choice.finish_reason;
    // Which limit ended the answer shows in the usage, which most servers send in a chunk of its own after this one.
    if (t.finishReason === "length" && t.usage === undefined) t.phase = "length";
    else settleFinish(t);
  }
}

/**
 * What of a piece of the answer fits under the overrun bound ("" for none), counted. A piece cut
 * short puts the count past the bound, which ends the answer once the chunk's pieces are in. Cut
 * before the blocks parse it, so that one event of megabytes costs what the bound allows.
 */
function admit(t: Translation, text: string | null | undefined): string {
  if (!text) return "";
  const kept = cutToRoom(text, t.overrunLimit - t.generatedChars);
  t.generatedChars = kept.length < text.length ? t.overrunLimit + 1 : t.generatedChars + kept.length;
  t.repetition ??= t.repeats?.feed(kept);
  return kept;
}

/** A tool call's delta with its name and arguments admitted (itself when nothing was cut). */
function admitCall(t: Translation, call: OpenAIToolCallDelta): OpenAIToolCallDelta {
  const fn = call.function;
  if (!fn) return call;
  const name = fn.name ? admit(t, fn.name) : fn.name;
  const args = fn.arguments ? admit(t, fn.arguments) : fn.arguments;
  return name === fn.name && args === fn.arguments ? call : { ...call, function: { ...fn, name, arguments: args } };
}

/** A pre-warm's usage was zeroed as it came (above): only its end remains to settle. */
function settlePrewarm(t: Translation): void {
  t.finishReason = "length";
  finishContent(t);
}

function settleFinish(t: Translation): void {
  const { ctx, blocks } = t;
  t.finishReason = settleLength(t.finishReason, t.usage, { ...ctx, profileName: ctx.options.profileName }, (text) => blocks.note(text));
  finishContent(t);
}

/** The text reached a stop sequence: the answer is complete, the rest of the generation is not wanted. */
function stopAtSequence(t: Translation): void {
  t.stoppedByMallex = true;
  finishContent(t);
  finishMessage(t);
  t.terminate();
}

/** The server went on far past max_tokens: the answer ends there, as max_tokens, and the generation is stopped. */
function stopOverrun(t: Translation): void {
  t.ctx.onOverrun?.();
  t.finishReason = "length";
  t.stoppedByMallex = true;
  finishContent(t);
  finishMessage(t);
  t.terminate();
}

/**
 * The answer fell into a loop: its end one piece written again and again (stop_repeats), or one of its
 * calls written again with the same input (stopped at once: each copy of a call that writes a file is
 * its whole content, a minute or more on mlx's CPU backend). It ends there, with the calls it made
 * whole (each once: assemble-content-blocks.ts), and the generation is stopped. Cut short by mallex,
 * it ends max_tokens (tool_use after whole calls, which Claude Code runs whatever the stop reason),
 * never as a turn the model ended.
 */
function stopInLoop(t: Translation): void {
  t.finishReason = "length";
  t.stoppedByMallex = true;
  t.blocks.finishLoop();
  t.phase = "finished";
  finishMessage(t);
  t.terminate();
}

function finishContent(t: Translation): void {
  t.blocks.finish();
  t.phase = "finished";
}

function finishMessage(t: Translation): void {
  const { blocks, usage } = t;
  const stopSequence = blocks.stopSequence;
  t.emit({
    type: "message_delta",
    delta:
      stopSequence === undefined
        ? { stop_reason: mapFinishReason(t.finishReason, blocks.emittedToolUse), stop_sequence: null }
        : { stop_reason: "stop_sequence", stop_sequence: stopSequence },
    // Without a usage chunk the count is unknown: output_tokens is required by the SDK, and
    // leaving the input fields out keeps message_start's estimate. Stopped by mallex, the
    // generation ended before its usage chunk: the characters seen give an estimate.
    usage: usage !== undefined ? convertOpenAIUsage(usage) : { output_tokens: t.stoppedByMallex ? estimateTokens(t.generatedChars) : 0 },
  });
  t.emit({ type: "message_stop" });
  t.phase = "closed";
}

/** Ends the stream on a failure, per the rules in createAnthropicStreamTranslator's comment. */
function fail(t: Translation, type: AnthropicErrorType, message: string, terminate = true): void {
  if (t.phase === "closed") return;
  if (t.phase === "length") settleFinish(t);
  if (t.phase === "finished") {
    finishMessage(t);
  } else {
    t.blocks.abort();
    t.emit({ type: "error", error: { type, message } });
    t.phase = "closed";
  }
  // Not from flush: the stream is closing there anyway.
  if (terminate) t.terminate();
}

const NO_DELTA: OpenAIChunkDelta = {};

/** Choice 0 (a loop: this runs for every token). */
function firstChoice(chunk: OpenAIChunk): OpenAIChunkChoice | undefined {
  const { choices } = chunk;
  if (!choices) return undefined;
  for (const choice of choices) if ((choice.index ?? 0) === 0) return choice;
  return undefined;
}
