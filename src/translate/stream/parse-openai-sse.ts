import { createParser, type EventSourceMessage } from "eventsource-parser";
import { answerJsonTooBusy, MAX_ANSWER_JSON_VALUES } from "../../shared/json-text.js";
import { overrunJsonSize } from "../max-tokens-overrun.js";
import type { OpenAIChunk } from "../openai-types.js";
import type { OpenAIStreamPart, ParseResult } from "./stream-types.js";

/**
 * An OpenAI-compatible SSE body → parsed chunks (vercel/ai `parse-json-event-stream`: bytes → text
 * → SSE events → JSON), in one stream stage: every stage of a web-stream pipeline costs each token
 * a round of promises, so the decoder and the SSE parser run inside this stage's transform.
 *
 * - Comment lines (mlx's `: keepalive 2048/18231` during prefill) are dropped by the SSE parser.
 * - `[DONE]` is not a chunk; it becomes `{type: "done"}` so the translator can tell a finished
 *   stream from one cut off by an EOF (mlx just closes the socket on a mid-stream failure).
 * - A data line that is not a JSON object becomes `{success: false}`; nothing here throws. So does
 *   one of more values than any chunk holds (answerJsonTooBusy), before JSON.parse builds them.
 * - An `event: error` message becomes a chunk with `error`, which the translator reports.
 * - An event not ended by a blank line when the body ends is not dispatched (as EventSource does).
 * - A line or an event longer than its bound (MAX_SSE_EVENT_CHARS, or less for an answer's max_tokens:
 *   streamEventCharsFor; a server that never sends a newline, or one data line of hundreds of
 *   megabytes) becomes one `{success: false}` part, and the rest of the body is not parsed: memory
 *   and the time one event takes stay bounded whatever the server sends.
 *
 * @see docs/mlx-lm-server.md (how the real server streams and fails); "Chat Completions" streaming in OpenAI's API reference
 */
export function parseOpenAIEventStream(body: ReadableStream<Uint8Array>, options: ParseEventStreamOptions = {}): ReadableStream<OpenAIStreamPart> {
  // A pulled stream over the body's reader rather than body.pipeThrough(the stage below): the same
  // parts, one stream object instead of a transform's three and its pipe (in Node 20 each web
  // stream costs tens of microseconds to build, and a pipe some promises per chunk).
  const reader = body.getReader();
  let feed!: (bytes: Uint8Array) => void;
  let finish!: () => void;
  let enqueued = 0;
  return new ReadableStream<OpenAIStreamPart>(
    {
      start(controller) {
        const counted = {
          enqueue(part: OpenAIStreamPart) {
            enqueued++;
            controller.enqueue(part);
          },
        };
        ({ feed, finish } = createEventStreamFeeder(counted, options));
      },
      async pull(controller) {
        // Reads until a part is out (a keepalive comment gives none): a pull that enqueues nothing
        // is not called again.
        for (const wanted = enqueued + 1; enqueued < wanted;) {
          const { done, value } = await reader.read();
          if (done) {
            finish();
            controller.close();
            return;
          }
          feed(value);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    // Nothing is read ahead of the consumer, as with a transform stage.
    { highWaterMark: 0 },
  );
}

export interface ParseEventStreamOptions {
  /** Told of every piece of the body as it arrives (comments included): the backend is alive. */
  onBytes?: () => void;
  /** Told of each comment line (after its colon): a server's prefill progress comes as one (observe/read-prefill-progress.ts). */
  onComment?: ((comment: string) => void) | undefined;
}

/**
 * The longest line or event of a model server's stream: far past any chunk (a whole tool call of a
 * 200 KB Write is under 1 MB of JSON), far short of what would hold the event loop or the heap.
 */
export const MAX_SSE_EVENT_CHARS = 16 * 1024 * 1024;

/**
 * The longest line or event of an answer to a request of `maxTokens`: what the overrun bound lets
 * one event hold ({@link overrunJsonSize}: 2.7 M characters for 4,096 tokens), at most
 * {@link MAX_SSE_EVENT_CHARS}. Parsing a 15 MB event held the proxy's one thread 350–800 ms.
 */
export function streamEventCharsFor(maxTokens: number | undefined): number {
  return maxTokens === undefined ? MAX_SSE_EVENT_CHARS : Math.min(MAX_SSE_EVENT_CHARS, overrunJsonSize(maxTokens));
}

/** Decoder and SSE parser writing the parts to `out`: `feed` each piece of the body, `finish` at its end. */
export function createEventStreamFeeder(
  out: { enqueue(part: OpenAIStreamPart): void },
  options: ParseEventStreamOptions,
  maxEventChars = MAX_SSE_EVENT_CHARS,
): { feed: (bytes: Uint8Array) => void; finish: () => void } {
  const { onBytes, onComment } = options;
  const decoder = new TextDecoder();
  let overflowed = false;
  const parser = createParser({
    maxBufferSize: maxEventChars,
    ...(onComment ? { onComment } : {}),
    onError(error) {
      if (error.type !== "max-buffer-size-exceeded") return;
      overflowed = true;
      const size = maxEventChars.toLocaleString("en-US");
      out.enqueue({ success: false, error: new Error(`a line or event longer than ${size} characters (the rest of the stream was not read)`), rawValue: "" });
    },
    onEvent(message: EventSourceMessage) {
      const data = message.data.trim();
      if (data === "") return;
      if (data === "[DONE]") {
        out.enqueue({ type: "done" });
        return;
      }
      // llama.cpp and some proxies label failures `event: error` instead of an error chunk.
      out.enqueue(message.event === "error" ? errorChunk(data) : parseChunk(data));
    },
  });
  return {
    feed(bytes) {
      onBytes?.();
      if (!overflowed) parser.feed(decoder.decode(bytes, { stream: true }));
    },
    finish() {
      if (overflowed) return;
      // A character cut by the end of the body becomes U+FFFD, as TextDecoderStream does.
      const rest = decoder.decode();
      if (rest !== "") parser.feed(rest);
    },
  };
}

function parseChunk(data: string): ParseResult<OpenAIChunk> {
  if (answerJsonTooBusy(data)) {
    const most = MAX_ANSWER_JSON_VALUES.toLocaleString("en-US");
    return { success: false, error: new Error(`a chunk of more than ${most} JSON values, which no answer's chunk holds: ${preview(data)}`), rawValue: data };
  }
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
