/** When an answer counts as caught in a loop: its end is one piece of text, written again and again. */
export interface RepeatLimit {
  /** The piece is there this many times in a row, at least. */
  repeats: number;
  /** And the copies together are at least this many characters (a rule of dashes is not a loop). */
  chars: number;
}

/** A loop found at the end of the answer. */
export interface Repetition {
  /** The repeated piece's length in characters. */
  period: number;
  /** How many times it stands at the end in a row (the last copy may be partial). */
  repeats: number;
  /** The characters that repeat: the copies together. */
  chars: number;
}

export interface RepeatWatcher {
  /** The next piece of the answer: the loop its end has fallen into, if any. */
  feed(text: string): Repetition | undefined;
}

/** The end of the answer looked at: a piece repeated `repeats` times fits in it up to a quarter of it long. */
const WINDOW_CHARS = 8192;
/** The end is looked at after this much new text, not on every token: a check reads the whole window. */
const CHECK_EVERY_CHARS = 64;

/**
 * Watches an answer as it is generated for the way a small model fails at a low temperature: it
 * writes the same lines (or words) over and over until its token limit, which at a few tokens a
 * second is minutes of a user's time for nothing. Exact copies only, back to back, at the end: a file
 * with a few equal lines, or a long rule of `=`, is under the limit; a paragraph written a fourth
 * time is not.
 */
export function watchForRepeats(limit: RepeatLimit): RepeatWatcher {
  let tail = "";
  let unchecked = 0;
  return {
    feed(text) {
      tail = (tail + text).slice(-WINDOW_CHARS);
      unchecked += text.length;
      if (unchecked < CHECK_EVERY_CHARS) return undefined;
      unchecked = 0;
      return repetitionAtEnd(tail, limit);
    },
  };
}

/**
 * The shortest piece that `text` ends with `limit.repeats` copies of, or more, in at least
 * `limit.chars` characters (UTF-16 code units). Read from the end, where the Z-array gives, for each
 * period p, how far the end is p-periodic: p + z[p] characters.
 */
export function repetitionAtEnd(text: string, limit: RepeatLimit): Repetition | undefined {
  const z = zArrayFromEnd(text);
  for (let period = 1; period * limit.repeats <= text.length; period++) {
    const chars = period + z[period]!;
    if (chars >= period * limit.repeats && chars >= limit.chars) return { period, repeats: Math.floor(chars / period), chars };
  }
  return undefined;
}

/**
 * The Z-array of `text` reversed, read in place (the window is checked every 64 characters of a
 * streamed answer: a reversed copy, made of an array of its characters, cost ten times the search):
 * z[i] is how many characters `text` and `text` without its last i characters end with alike.
 */
function zArrayFromEnd(text: string): Int32Array {
  const n = text.length;
  const last = n - 1;
  const z = new Int32Array(n + 1);
  z[0] = n;
  let left = 0;
  let right = 0;
  for (let i = 1; i < n; i++) {
    let length = i < right ? Math.min(right - i, z[i - left]!) : 0;
    while (i + length < n && text.charCodeAt(last - length) === text.charCodeAt(last - i - length)) length++;
    z[i] = length;
    if (i + length > right) {
      left = i;
      right = i + length;
    }
  }
  return z;
}
