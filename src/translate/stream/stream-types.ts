import type { AnthropicErrorType } from "../anthropic-types.js";
import type { OpenAIChunk } from "../openai-types.js";

/** A parsed SSE data line: a chunk, or why it could not be one (never a throw). */
export type ParseResult<T> = { success: true; value: T } | { success: false; error: Error; rawValue: string };

/** The upstream sent `data: [DONE]`: the stream ended on purpose, so a later EOF is not a failure. */
export interface DoneSignal {
  type: "done";
}

/**
 * Out-of-band input the server writes into the translator next to parsed chunks: `ping` on its
 * keepalive timer (mlx prefill can take minutes with no bytes), `upstream-error` when the upstream
 * call fails (with the error the client is told, classified where the failure happened: the
 * translator only writes it), `done` (written by {@link parseOpenAIEventStream}) when `[DONE]` arrived.
 */
export type StreamSignal = { type: "ping" } | DoneSignal | { type: "upstream-error"; error: { type: AnthropicErrorType; message: string } };

/** What {@link parseOpenAIEventStream} yields. */
export type OpenAIStreamPart = ParseResult<OpenAIChunk> | DoneSignal;

/** What the Anthropic stream translator accepts. */
export type TranslatorInput = ParseResult<OpenAIChunk> | StreamSignal;

/**
 * What a stream stage's work writes to: the part of the web streams' TransformStreamDefaultController
 * it uses. A TransformStream's own controller is one; so is the driver's (drive-stream-translator.ts),
 * which is what the server and the exported translator both run.
 */
export interface StreamStageController<O> {
  enqueue(chunk: O): void;
  error(reason?: unknown): void;
  terminate(): void;
}

/**
 * A stream stage's work, run synchronously: the shape of the web streams `Transformer` (which Node's
 * types do not name globally), driven by driveStreamTranslator for the server and for the exported
 * TransformStream alike.
 */
export interface StreamTransformer<I, O> {
  start?(controller: StreamStageController<O>): void;
  transform?(chunk: I, controller: StreamStageController<O>): void;
  flush?(controller: StreamStageController<O>): void;
}
