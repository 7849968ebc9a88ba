import { isHighSurrogate } from "../shared/is-high-surrogate.js";

/**
 * Characters past which an answer has certainly overrun `maxTokens`: 32 a token (no tokenizer's
 * tokens average more, long runs of spaces included) and 4 K of slack. A server that ignores
 * max_tokens would otherwise stream for as long as the model goes on.
 */
export function overrunChars(maxTokens: number): number {
  return maxTokens * 32 + 4096;
}

/**
 * The first `room` characters of `text` (all of it when it fits, none when `room` is 0 or less),
 * never ending on half a surrogate pair: what of a piece of the answer fits under the overrun bound.
 * A streamed piece is cut before anything parses it, so that one event carrying megabytes costs
 * what the bound allows, not what the server sent.
 */
export function cutToRoom(text: string, room: number): string {
  if (text.length <= room) return text;
  if (room <= 0) return "";
  return text.slice(0, isHighSurrogate(text.charCodeAt(room - 1)) ? room - 1 : room);
}

/**
 * The most JSON text that can carry an answer within the overrun bound: characters of one stream
 * event, or bytes of a whole answer. Every character of it escaped (`\u001b` is 6 characters, 6
 * bytes; a character not escaped is at most 3 bytes of UTF-8), its reasoning under two names (some
 * servers send `reasoning` and `reasoning_content` both), and 1 MiB for the rest (ids, usage,
 * the envelope): more than that is no answer to this request.
 */
export function overrunJsonSize(maxTokens: number): number {
  return overrunChars(maxTokens) * 12 + 1024 * 1024;
}
