import { EventSourceParserStream, type EventSourceMessage } from "eventsource-parser/stream";
import type { OpenAIChunk } from "./openai-types.js";
import type { OpenAIStreamPart, ParseResult } from "./stream-types.js";

/**
 * An OpenAI-compatible SSE body → parsed chunks, as a pipeline (vercel/ai
 * `parse-json-event-stream`): bytes → text → SSE events → JSON.
 *
 * - Comment lines (mlx's `: keepalive 2048/18231` during prefill) are dropped by the SSE parser.
 * - `[DONE]` is not a chunk; it becomes `{type: "done"}` so the translator can tell a finished
 *   stream from one cut off by an EOF (mlx just closes the socket on a mid-stream failure).
 * - A data line that is not a JSON object becomes `{success: false}`; nothing here throws.
 * - An `event: error` message becomes a chunk with `error`, which the translator reports.
 *
 * @see /work/shared/docs/protocol.md §1.5, §1.6
 */
export function parseOpenAIEventStream(
  body: ReadableStream<Uint8Array>,
): ReadableStream<OpenAIStreamPart> {
  return body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .pipeThrough(
      new TransformStream<EventSourceMessage, OpenAIStreamPart>({
        transform(message, controller) {
          const data = message.data.trim();
          if (data === "") return;
          if (data === "[DONE]") {
            controller.enqueue({ type: "done" });
            return;
          }
          // llama.cpp and some proxies label failures `event: error` instead of an error chunk.
          controller.enqueue(message.event === "error" ? errorChunk(data) : parseChunk(data));
        },
      }),
    );
}

function parseChunk(data: string): ParseResult<OpenAIChunk> {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (cause) {
    return {
      success: false,
      error: new Error(`malformed JSON chunk from upstream: ${preview(data)}`, { cause }),
      rawValue: data,
    };
  }
  if (!isChunkShaped(value)) {
    return {
      success: false,
      error: new Error(`unexpected chunk shape from upstream: ${preview(data)}`),
      rawValue: data,
    };
  }
  return { success: true, value };
}

/** An `event: error` payload as a chunk carrying `error`, whatever shape the server gave it. */
function errorChunk(data: string): ParseResult<OpenAIChunk> {
  const parsed = parseChunk(data);
  if (parsed.success && parsed.value.error !== undefined && parsed.value.error !== null) return parsed;
  return { success: true, value: { error: { message: data } } };
}

/**
 * Only the structure the translator walks is checked (an object whose `choices`, if any, is an
 * array or null); every field inside stays optional, as real servers disagree on them.
 */
function isChunkShaped(value: unknown): value is OpenAIChunk {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const choices = (value as { choices?: unknown }).choices;
  return choices === undefined || choices === null || Array.isArray(choices);
}

function preview(data: string): string {
  return data.length > 200 ? `${data.slice(0, 200)}…` : data;
}
