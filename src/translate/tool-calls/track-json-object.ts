/**
 * How deep a tool call's arguments may nest: far past any tool's schema (Claude Code's nest 3 or 4
 * levels), far short of what makes JSON.parse hold the event loop (3,000,000 levels: 2 s, 350 MB).
 */
export const MAX_ARGUMENT_DEPTH = 256;

export type JsonObjectState = "open" | "closed" | "too-deep" | "not-an-object";

export interface JsonObjectTracker {
  /** Reads the next fragment; says whether the text so far is an object that closed, still open, or never will be one. */
  feed(fragment: string): JsonObjectState;
  /** How many characters it has read: once closed, up to and including the object's closing `}`. */
  read(): number;
}

/**
 * Follows streamed JSON one character at a time, strings and escapes included, so that a tool
 * call's arguments are known complete the moment their top-level `}` arrives, in linear time: a
 * 512 KB Write streamed in 4-character fragments is read once, not once per fragment (where each
 * `trimEnd()` and trial JSON.parse of the whole text made it quadratic). Past MAX_ARGUMENT_DEPTH it
 * says `too-deep` and reads no more.
 */
export function createJsonObjectTracker(maxDepth = MAX_ARGUMENT_DEPTH): JsonObjectTracker {
  let state: JsonObjectState = "open";
  let started = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let read = 0;
  return {
    feed(fragment) {
      if (state !== "open") return state;
      for (let i = 0; i < fragment.length; i++) {
        read++;
        const ch = fragment.charCodeAt(i);
        if (inString) {
          if (escaped) escaped = false;
          else if (ch === BACKSLASH) escaped = true;
          else if (ch === QUOTE) inString = false;
          continue;
        }
        if (!started) {
          if (isSpace(ch)) continue;
          if (ch !== OPEN_BRACE) return (state = "not-an-object");
          started = true;
          depth = 1;
          continue;
        }
        if (ch === QUOTE) inString = true;
        else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) {
          if (++depth > maxDepth) return (state = "too-deep");
        } else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) {
          if (--depth === 0) return (state = "closed");
        }
      }
      return state;
    },
    read: () => read,
  };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const isSpace = (ch: number) => ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09;
