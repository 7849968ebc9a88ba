/**
 * The marker scanner's search for where a call may open: the first start marker in unreleased text
 * that stands where the answer's Markdown lets it be a call, or how much of the text to hold back
 * because it may still grow into one.
 */
import type { CallBlock } from "./scanner-spec.js";
import { advanceContext, copyContext, fenceLeadStart, markerPosition, type MarkerPosition, type TextContext } from "./text-context.js";
import { presentsExample, presentsSample } from "./presents-example.js";
import { isHighSurrogate } from "../../../shared/is-high-surrogate.js";

export interface StartHit {
  readonly index: number;
  readonly block: CallBlock;
  readonly position: MarkerPosition;
}

/** What one pass over text found: the first marker that may open a block, or how much to hold. */
export type Scan = { readonly hit: StartHit; readonly leadStart: number } | { readonly hit: null; readonly keep: number };

/** What the text released so far tells the search about the text after it. */
export interface ReleasedText {
  /** The Markdown context of everything released so far (held text is read again each time). */
  readonly context: TextContext;
  /** The last characters of text read since the last call: what introduces a fence that may follow. */
  readonly recent: string;
  /** Whether anything but whitespace has appeared, which disables `atOutputStart` markers. */
  readonly sawContent: boolean;
}

export const BACKTICK = 96;

export const isBlank = (text: string): boolean => text.trim() === "";

/**
 * The blocks' start markers by their first character. Text is fed a token at a time and almost no
 * token holds a marker's first character, so each chunk is read once, character by character,
 * instead of being searched for each of the ~40 markers `auto` watches.
 */
interface MarkerIndex {
  readonly byFirstChar: ReadonlyMap<number, readonly CallBlock[]>;
  readonly longestStart: number;
}

// Per blocks array: a spec's arrays live as long as it does (auto narrows to another array once).
const markerIndexes = new WeakMap<readonly CallBlock[], MarkerIndex>();

function markerIndexOf(blocks: readonly CallBlock[]): MarkerIndex {
  let index = markerIndexes.get(blocks);
  if (index === undefined) {
    const byFirstChar = new Map<number, CallBlock[]>();
    let longestStart = 0;
    for (const block of blocks) {
      if (block.start === "") continue;
      const first = block.start.charCodeAt(0);
      byFirstChar.set(first, [...(byFirstChar.get(first) ?? []), block]);
      longestStart = Math.max(longestStart, block.start.length);
    }
    index = { byFirstChar, longestStart };
    markerIndexes.set(blocks, index);
  }
  return index;
}

/** Whether `text` from `from` on is the beginning of `marker` (without copying it out). */
function isPrefixAt(text: string, from: number, marker: string): boolean {
  if (text.length - from > marker.length) return false;
  for (let i = from; i < text.length; i++) if (text.charCodeAt(i) !== marker.charCodeAt(i - from)) return false;
  return true;
}

/** Whether `block` may start at `at` in `text` (only `atOutputStart` blocks depend on what precedes). */
const eligibleAtStart = (released: ReleasedText, block: CallBlock, text: string, at: number): boolean =>
  !block.atOutputStart || (!released.sawContent && isBlank(text.slice(0, at)));

/** Whether `block` may start at `at` in `text`, where the answer's Markdown puts it at `position`. */
const eligible = (released: ReleasedText, block: CallBlock, text: string, at: number, position: MarkerPosition, ctx: TextContext): boolean =>
  eligibleAtStart(released, block, text, at) &&
  (block.fenceInfo === undefined || (position === "fence" && block.fenceInfo.test(ctx.fenceInfo.trim()))) &&
  (block.atLineStart !== true || (position === "call" && ctx.lineStart));

/**
 * At a fence's first content: whether the prose that introduces the fence presents it as an
 * example, so that what is in it is quoted, not called. `text` is the unreleased text, whose first
 * character is at stream offset `base`; the fence's opening is still in it (held until now).
 * After calls in the same fence (no lead) the first call has already passed this test.
 */
const introducedAsExample = (released: ReleasedText, ctx: TextContext, text: string, base: number): boolean => {
  const lead = fenceLeadStart(ctx);
  return lead !== null && presentsExample(released.recent + text.slice(0, Math.max(0, lead - base)));
};

/**
 * One pass over `text` (which follows the released text): the first start marker at a position
 * where a call may be (the longest one where several begin there), else the length of the
 * longest suffix that could still grow into one, or that holds a fence's opening.
 */
export function findStartMarker(blocks: readonly CallBlock[], released: ReleasedText, text: string): Scan {
  const { byFirstChar, longestStart } = markerIndexOf(blocks);
  const ctx = copyContext(released.context);
  const base = ctx.offset;
  let keepFrom = text.length;
  const holdFrom = Math.max(0, text.length - (longestStart - 1));
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    const candidates = byFirstChar.get(code);
    // A marker opens at the first backtick of a run (Gemma 3's ```tool_code), never inside one:
    // asking where the run stands before it ends would settle it as too short to open a fence.
    if (candidates !== undefined && !(code === BACKTICK && ctx.tickRun > 0)) {
      const at = markerPosition(ctx);
      const position =
        (at === "fence" && introducedAsExample(released, ctx, text, base)) ||
        (at === "call" && ctx.lineStart && presentsSample(released.recent + text.slice(0, index)))
          ? "code"
          : at;
      if (position !== "code") {
        let best: CallBlock | null = null;
        // A longer marker the text ends inside of (`[TOOL_CALLS]` while `[` opens a fenced list).
        let longerMayFollow = false;
        for (const block of candidates) {
          if (!eligible(released, block, text, index, position, ctx)) continue;
          if (text.startsWith(block.start, index)) {
            if (best === null || block.start.length > best.start.length) best = block;
          } else if (index >= holdFrom && block.start.length > text.length - index && isPrefixAt(text, index, block.start)) {
            longerMayFollow = true;
          }
        }
        const lead = position === "fence" ? fenceLeadStart(ctx) : null;
        const leadStart = lead === null ? index : Math.max(0, Math.min(index, lead - base));
        // The longest marker that may start here opens the block: a shorter one waits for it.
        if (best !== null && !longerMayFollow) return { hit: { index, block: best, position }, leadStart };
        if (longerMayFollow && keepFrom === text.length) keepFrom = leadStart;
      }
    }
    advanceContext(ctx, code);
  }
  const lead = fenceLeadStart(ctx);
  if (lead !== null) keepFrom = Math.min(keepFrom, Math.max(0, lead - base));
  let keep = text.length - keepFrom;
  // Never split a surrogate pair across two text events: downstream would emit a lone half.
  const last = text.length - keep - 1;
  if (last >= 0 && isHighSurrogate(text.charCodeAt(last))) keep += 1;
  return { hit: null, keep };
}
