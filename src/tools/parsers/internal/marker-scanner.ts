import type { ToolCallTextParser, ToolParseEvent } from "../types.js";

/** One kind of call region a format knows: where it starts and where it ends. */
export interface CallBlock {
  /** Opening marker; it stays in the block's `raw`. */
  readonly start: string;
  /**
   * Closing marker; null when the block runs to the end of the output (Mistral, Llama 3). An empty
   * string closes the block right after its start marker: a control token to strip (gpt-oss).
   */
  readonly end: string | null;
  /** Recognise `start` only when nothing but whitespace came before it (Llama 3's bare `{`). */
  readonly atOutputStart?: boolean;
  /**
   * Whether an end marker found after `body` really closes the block. Values may legitimately
   * contain the end marker (a model writing this very parser's tests), so formats reject an end
   * marker that sits inside an open value or string.
   */
  readonly acceptsEnd?: (body: string) => boolean;
}

/** A block handed to the format's parser: complete, or cut short by the end of the output. */
export interface ScannedBlock {
  readonly block: CallBlock;
  /** Text between the markers. */
  readonly body: string;
  /** Start marker + body + end marker (when seen), exactly as the model wrote them. */
  readonly raw: string;
  /** Whether the end marker was seen (always false for blocks with `end: null`). */
  readonly terminated: boolean;
  /** The character written just before the start marker ("" at the output start): a backtick means code. */
  readonly precededBy: string;
}

export interface ScannerSpec {
  /** Read on every search, so a spec may narrow it as the response goes (auto picks one family). */
  readonly blocks: readonly CallBlock[];
  /** Turns a block into events; must not throw (malformed input becomes `invalid_call`). */
  readonly parse: (scanned: ScannedBlock) => ToolParseEvent[];
  /**
   * Asked instead of `block.acceptsEnd` for blocks that have one. Lets blocks built once be shared
   * by every response while the answer depends on the response (auto's tool names).
   */
  readonly acceptsEnd?: (block: CallBlock, body: string) => boolean;
}

interface StartHit {
  readonly index: number;
  readonly block: CallBlock;
}

/** The block being read. Chunks are kept apart: re-searching one growing string is quadratic. */
interface OpenBlock {
  readonly block: CallBlock;
  readonly precededBy: string;
  chunks: string[];
  length: number;
  /** The last `end.length - 1` characters, so a marker split across chunks is still found. */
  tail: string;
}

const isBlank = (text: string): boolean => text.trim() === "";

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

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/**
 * Builds an incremental parser from a format's block markers. Text outside blocks is released as
 * soon as it can no longer be the beginning of a start marker; a block is buffered whole and parsed
 * once its end marker arrives (or at `end()`). Decisions depend only on the text, never on how it
 * was chunked, which is what makes every split of the same output give the same events.
 */
export function createMarkerScanner(spec: ScannerSpec): ToolCallTextParser {
  // Text outside any block that may still begin a start marker.
  let held = "";
  let open: OpenBlock | null = null;
  // Whether anything but whitespace has appeared, which disables `atOutputStart` markers.
  let sawContent = false;
  // The last character of the output before the current position (text or a block).
  let lastChar = "";

  /** Whether `block` may start at `at` in `text` (only `atOutputStart` blocks depend on what precedes). */
  const eligible = (block: CallBlock, text: string, at: number): boolean =>
    !block.atOutputStart || (!sawContent && isBlank(text.slice(0, at)));

  /**
   * The first start marker in `text`, the longest one where several begin there. (A marker whose
   * first occurrence is not eligible has none later: markers are not blank, so text before the
   * later one is not blank either.)
   */
  const findStart = (text: string): StartHit | null => {
    const { byFirstChar } = markerIndexOf(spec.blocks);
    for (let index = 0; index < text.length; index++) {
      const candidates = byFirstChar.get(text.charCodeAt(index));
      if (candidates === undefined) continue;
      let best: CallBlock | null = null;
      for (const block of candidates) {
        if ((best === null || block.start.length > best.start.length) && text.startsWith(block.start, index) && eligible(block, text, index)) best = block;
      }
      if (best !== null) return { index, block: best };
    }
    return null;
  };

  /** Length of the longest suffix of `text` that could still grow into a start marker. */
  const heldBackLength = (text: string): number => {
    const { byFirstChar, longestStart } = markerIndexOf(spec.blocks);
    let keep = 0;
    // The longest such suffix starts earliest: the first position that begins a marker's proper prefix.
    for (let from = Math.max(0, text.length - (longestStart - 1)); from < text.length && keep === 0; from++) {
      const candidates = byFirstChar.get(text.charCodeAt(from));
      if (candidates === undefined) continue;
      for (const block of candidates) {
        if (block.start.length > text.length - from && isPrefixAt(text, from, block.start) && eligible(block, text, from)) {
          keep = text.length - from;
          break;
        }
      }
    }
    // Never split a surrogate pair across two text events: downstream would emit a lone half.
    const last = text.length - keep - 1;
    if (last >= 0 && isHighSurrogate(text.charCodeAt(last))) keep += 1;
    return keep;
  };

  const pushText = (events: ToolParseEvent[], text: string): void => {
    if (text === "") return;
    if (!sawContent && !isBlank(text)) sawContent = true;
    lastChar = text.slice(-1);
    events.push({ type: "text", text });
  };

  /** The block's whole text so far, collapsed so later joins are free. */
  const blockText = (state: OpenBlock): string => {
    const text = state.chunks.join("");
    state.chunks = [text];
    return text;
  };

  /**
   * Adds `chunk` to the open block. Returns the offset just past an accepted end marker (the
   * block's text ends there), or -1 while the block is still open.
   */
  const appendToBlock = (state: OpenBlock, chunk: string): number => {
    const { block } = state;
    const windowStart = state.length - state.tail.length;
    const window = state.tail + chunk;
    state.chunks.push(chunk);
    state.length += chunk.length;
    if (block.end === null) return -1;
    for (let at = window.indexOf(block.end); at !== -1; at = window.indexOf(block.end, at + 1)) {
      const index = windowStart + at;
      if (index < block.start.length) continue;
      if (!block.acceptsEnd) return index + block.end.length;
      const body = blockText(state).slice(block.start.length, index);
      if (spec.acceptsEnd ? spec.acceptsEnd(block, body) : block.acceptsEnd(body)) {
        return index + block.end.length;
      }
    }
    state.tail = window.slice(Math.max(0, window.length - (block.end.length - 1)));
    return -1;
  };

  const parseBlock = (state: OpenBlock, raw: string, terminated: boolean): ToolParseEvent[] => {
    const { block, precededBy } = state;
    const bodyEnd = terminated && block.end !== null ? raw.length - block.end.length : raw.length;
    lastChar = raw.slice(-1);
    return spec.parse({ block, body: raw.slice(block.start.length, bodyEnd), raw, terminated, precededBy });
  };

  const drain = (input: string, final: boolean): ToolParseEvent[] => {
    const events: ToolParseEvent[] = [];
    let pending = input;
    for (;;) {
      if (open !== null) {
        const state: OpenBlock = open;
        const closeAt = appendToBlock(state, pending);
        pending = "";
        if (closeAt === -1) {
          if (!final) return events;
          events.push(...parseBlock(state, blockText(state), false));
          open = null;
          continue;
        }
        const text = blockText(state);
        events.push(...parseBlock(state, text.slice(0, closeAt), true));
        pending = text.slice(closeAt);
        open = null;
        continue;
      }
      const text = held + pending;
      pending = "";
      const hit = findStart(text);
      if (hit === null) {
        const keep = final ? 0 : heldBackLength(text);
        pushText(events, text.slice(0, text.length - keep));
        held = text.slice(text.length - keep);
        return events;
      }
      pushText(events, text.slice(0, hit.index));
      held = "";
      sawContent = true;
      open = { block: hit.block, precededBy: lastChar, chunks: [], length: 0, tail: "" };
      pending = text.slice(hit.index);
    }
  };

  return {
    feed: (chunk) => drain(chunk, false),
    end: () => drain("", true),
  };
}
