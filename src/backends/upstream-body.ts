import { hasCharsAtLeast, jsonPieces } from "../shared/json-text.js";
import { clipText } from "../shared/retention-limits.js";

/**
 * A request body as a backend is sent it: its JSON text, or for a large one the JSON value itself,
 * written in pieces ({@link PiecewiseJson}).
 */
export type UpstreamBody = string | PiecewiseJson;

/** A JSON value sent as its text in pieces, never held whole (json-text.ts says why). */
export interface PiecewiseJson {
  readonly value: object;
  /** The text's length in characters, and in UTF-8 bytes (its Content-Length). */
  readonly chars: number;
  readonly bytes: number;
  /** The text, piece by piece, made anew at each call. */
  pieces(): Iterable<string>;
}

/**
 * A value's text from which on it is sent in pieces: 1 Mi characters, about ten times the largest of
 * Claude Code's requests, so that every request a client really sends is written as one string.
 */
export const PIECEWISE_MIN_CHARS = 1024 * 1024;

/** The body that sends `value`: its JSON text, or under {@link PIECEWISE_MIN_CHARS} of text and over, its pieces. */
export function upstreamBody(value: object): UpstreamBody {
  if (!hasCharsAtLeast(value, PIECEWISE_MIN_CHARS)) return JSON.stringify(value);
  let chars = 0;
  let bytes = 0;
  // Counted once, piece by piece: the Content-Length comes before the body.
  for (const piece of jsonPieces(value)) {
    chars += piece.length;
    bytes += Buffer.byteLength(piece);
  }
  return { value, chars, bytes, pieces: () => jsonPieces(value) };
}

export function bodyChars(body: UpstreamBody): number {
  return typeof body === "string" ? body.length : body.chars;
}

export function bodyBytes(body: UpstreamBody): number {
  return typeof body === "string" ? Buffer.byteLength(body) : body.bytes;
}

/** {@link clipText} of the body's text. */
export function clipBody(body: UpstreamBody, max: number): string {
  return clipText(bodyStart(body, max), max, bodyChars(body));
}

/** At least the first `chars` characters of the body's text (all of it when shorter): of a piecewise body, only the pieces they are in are made. */
export function bodyStart(body: UpstreamBody, chars: number): string {
  if (typeof body === "string") return body;
  let start = "";
  for (const piece of body.pieces()) {
    start += piece;
    if (start.length > chars) break;
  }
  return start;
}
