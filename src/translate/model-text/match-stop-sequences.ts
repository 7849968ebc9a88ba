import { isHighSurrogate } from "../../shared/is-high-surrogate.js";

/** What one piece of text gave: the text that is safe to show, and the sequence it completed, if any. */
export interface StopMatch {
  /** Text that can no longer be part of a stop sequence (everything before the match, once matched). */
  text: string;
  /** The stop sequence that ended the text; nothing after it counts. */
  stop?: string;
}

export interface StopSequenceMatcher {
  /** The next piece of text. A suffix that could begin a stop sequence is held until the next piece decides it. */
  feed(text: string): StopMatch;
  /**
   * Releases the held text, as it is (the text ended, or something other than text comes next, which
   * no stop sequence spans).
   */
  release(): string;
}

/**
 * Matches the request's `stop_sequences` on text that arrives in pieces, for servers that cannot
 * say which sequence stopped them (mlx-lm swallows it and reports plain `stop`). The text ends at the
 * first point where some sequence is complete (the earliest match end; at equal ends the longer
 * sequence, so less of it is cut into the text); the sequence itself is not part of the text, as
 * with the Anthropic API. The result is the same for any split of the same text, and a held or
 * returned piece never ends between the two halves of a surrogate pair. Empty sequences never match.
 *
 * @see docs/proxy.md, "Translation and tool calls"; the Messages API's `stop_sequences` parameter in
 *   Anthropic's API reference.
 */
export function createStopSequenceMatcher(sequences: readonly string[]): StopSequenceMatcher {
  const wanted = [...new Set(sequences.filter((sequence) => sequence !== ""))];
  let held = "";

  function feed(text: string): StopMatch {
    const buffer = held + text;
    const match = earliestMatch(buffer, wanted);
    if (match !== undefined) {
      held = "";
      return { text: buffer.slice(0, match.at), stop: match.sequence };
    }
    let keep = longestPartialMatch(buffer, wanted);
    // A lone high surrogate at the cut waits for its other half.
    if (isHighSurrogate(buffer.charCodeAt(buffer.length - keep - 1))) keep += 1;
    held = buffer.slice(buffer.length - keep);
    return { text: buffer.slice(0, buffer.length - keep) };
  }

  function release(): string {
    const text = held;
    held = "";
    return text;
  }

  return { feed, release };
}

/** The match that completes first in `text`: smallest end, then the earliest start. */
function earliestMatch(text: string, sequences: readonly string[]): { at: number; sequence: string } | undefined {
  let best: { at: number; end: number; sequence: string } | undefined;
  for (const sequence of sequences) {
    const at = text.indexOf(sequence);
    if (at === -1) continue;
    const end = at + sequence.length;
    if (best === undefined || end < best.end || (end === best.end && at < best.at)) best = { at, end, sequence };
  }
  return best;
}

/** Length of the longest suffix of `text` that is a proper prefix of one of the sequences. */
function longestPartialMatch(text: string, sequences: readonly string[]): number {
  let longest = 0;
  for (const sequence of sequences) {
    // Earliest start first (the longest suffix); compared in place, nothing copied.
    const first = sequence.charCodeAt(0);
    for (let from = Math.max(0, text.length - (sequence.length - 1)); from < text.length - longest; from++) {
      if (text.charCodeAt(from) === first && isPrefixAt(text, from, sequence)) {
        longest = text.length - from;
        break;
      }
    }
  }
  return longest;
}

/** Whether `text` from `from` on is the beginning of `sequence`. */
function isPrefixAt(text: string, from: number, sequence: string): boolean {
  for (let i = from + 1; i < text.length; i++) if (text.charCodeAt(i) !== sequence.charCodeAt(i - from)) return false;
  return true;
}
