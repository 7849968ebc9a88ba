import { formatNumber } from "./format-number.js";

/**
 * How much of what clients send mallex keeps once a request is done (and how much it writes to its
 * log): every retained string is capped, one by one and in total, so that no request — a 30 MB
 * `model` name, a 30 MB prompt — can grow the proxy's memory or its files past these. The
 * "Memory budget" table of docs/reliability.md states them; change both together.
 */
export const RETENTION_LIMITS = Object.freeze({
  /** A client's `model` as request summaries, log lines and debug lines keep it (real ones are under 100). */
  modelChars: 256,
  /** Each body (the client's, each upstream call's) in a dashboard explanation or the saved last request. */
  bodyChars: 1024 * 1024,
  /** All the dashboard's kept explanations together, in bytes of memory as {@link heldBytes} counts them (each is at most a few bodies of bodyChars). */
  explanationBytes: 16 * 1024 * 1024,
  /** An error message a request summary keeps (the dashboard's, the saved response.json). */
  messageChars: 4096,
  /** One line of mallex.log (and of the terminal's echo of it). */
  logLineChars: 16 * 1024,
  /** An upstream error body read, passed on to the client or kept in a summary. */
  errorBodyBytes: 64 * 1024,
  /** A system prompt, tool list or conversation opening the prefix cache keeps by its JSON text (larger ones are trimmed each time). */
  prefixPartChars: 2 * 1024 * 1024,
});

/**
 * `text` when it has at most `max` characters; else its first `max` with how many more there were,
 * in a string of its own (a slice would keep the whole of a 30 MB original alive for as long as
 * the short one is kept). `total`: the length of the whole when `text` is only its start.
 *
 * @example
 * clipText("a".repeat(10), 4) // "aaaa… [6 more chars cut by mallex]"
 */
export function clipText(text: string, max: number, total = text.length): string {
  if (total <= max) return text;
  return copyString(`${text.slice(0, max)}… [${formatNumber(total - max)} more chars cut by mallex]`);
}

/**
 * About the bytes V8 holds `text` in: one a character while every character is Latin-1, else two (a
 * clipped body's "…" alone makes it two-byte).
 */
export function heldBytes(text: string): number {
  return /[^\u0000-\u00ff]/.test(text) ? 2 * text.length : text.length;
}

/**
 * A string with its own storage (V8 keeps a slice of a larger string as a view of it). Copied
 * through JSON, whose parse always builds a new string in V8's heap: no buffer outside it, which
 * would be a malloc the size of the text.
 */
export function copyString(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}
