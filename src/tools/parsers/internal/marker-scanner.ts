import type { ToolCallTextParser, ToolParseEvent } from "../types.js";
import { matchHeads, type HeadAlternatives } from "./match-head.js";
import {
  advanceContext,
  advanceContextOver,
  afterCall,
  copyContext,
  createTextContext,
  fenceClosed,
  fenceLeadStart,
  markerPosition,
  type MarkerPosition,
  type TextContext,
} from "./text-context.js";
import { MAX_INTRO, presentsExample, presentsSample } from "./presents-example.js";
import { isHighSurrogate } from "../../../shared/is-high-surrogate.js";
import { followJsonValues, type JsonValuesFollower } from "./follow-json-values.js";

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
   * Recognise `start` only as a fenced block's first content (or after calls in it), in a fence whose
   * info string, trimmed, matches: a call without markers (bare JSON) is marked off by its fence alone.
   */
  readonly fenceInfo?: RegExp;
  /**
   * Recognise `start` only as the first thing on a line where a call may stand (not in code or a
   * fence, nor after prose that presents a sample): a call without markers after prose (bare JSON).
   */
  readonly atLineStart?: boolean;
  /**
   * The block is JSON objects and a call only if nothing but whitespace (and one stray `</tool_call>`)
   * follows them: it runs to the end of the output, and is released as text the moment anything else
   * comes after its last object (a JSON example, then the prose that explains it).
   */
  readonly jsonToEnd?: boolean;
  /**
   * Whether an end marker found after `body` really closes the block. Values may legitimately
   * contain the end marker (a model writing this very parser's tests), so formats reject an end
   * marker that sits inside an open value or string.
   */
  readonly acceptsEnd?: (body: string) => boolean;
  /**
   * How a call opens right after the start marker. When the body stops matching every alternative
   * the marker was only named in prose: it is released as text at once, with no note, and the text
   * after it is scanned again. Without a head any body is the family's (special tokens).
   */
  readonly head?: HeadAlternatives;
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
  /** The character written just before the start marker ("" at the output start). */
  readonly precededBy: string;
}

export interface ScannerSpec {
  /** Read on every search, so a spec may narrow it as the response goes (auto picks one family). */
  readonly blocks: readonly CallBlock[];
  /**
   * Turns a block into events; must not throw (malformed input becomes `invalid_call`). Null means
   * the block is no call at all: its marker is text and the text after it is scanned again.
   */
  readonly parse: (scanned: ScannedBlock) => ToolParseEvent[] | null;
  /**
   * Asked instead of `block.acceptsEnd` for blocks that have one. Lets blocks built once be shared
   * by every response while the answer depends on the response (auto's tool names).
   */
  readonly acceptsEnd?: (block: CallBlock, body: string) => boolean;
  /**
   * Whether a head that matched, naming `name` (what its last regex step read), opens `block`; false
   * releases the marker at once like a head that does not match. Lets a call without markers open only
   * on one of the request's tools, so a fenced `{"name": "my-app", …}` is not held to its end.
   */
  readonly acceptsHead?: (block: CallBlock, name: string) => boolean;
}

interface StartHit {
  readonly index: number;
  readonly block: CallBlock;
  readonly position: MarkerPosition;
}

/** The block being read. Chunks are kept apart: re-searching one growing string is quadratic. */
interface OpenBlock {
  readonly block: CallBlock;
  readonly precededBy: string;
  readonly position: MarkerPosition;
  /** Text before the marker that belongs to the call if it is one (a fence's opening line). */
  readonly lead: string;
  chunks: string[];
  length: number;
  /** The last `end.length - 1` characters, so a marker split across chunks is still found. */
  tail: string;
  /** The block's first characters, enough to decide its head and a doubtful wait without joining it all. */
  prefix: string;
  /** Whether the body has matched the block's head (always true without one). */
  opened: boolean;
  /**
   * The body does not open like a call, but the marker stands where a call would: it is a broken
   * call if the end marker follows soon (the model wrapped something), else the marker was named.
   */
  doubtful: boolean;
  /** For a `jsonToEnd` block, what follows its JSON. */
  readonly json: JsonValuesFollower | null;
}

/**
 * Calls read where the answer may still turn out to be quoting them: mid-sentence (a call only if
 * the line ends after it) or in a fenced block (a call only if the fence ends the answer). Until
 * that is known, the calls and the text around them wait here; then they go out as calls, or
 * everything goes out as the exact text the model wrote.
 */
interface Candidate {
  readonly kind: "sentence" | "fence";
  /** The verbatim text, for when it is no call after all. */
  verbatim: string;
  /** The events, for when it is. */
  events: ToolParseEvent[];
  /** What of a stray closing tag after a fenced call has been read (see {@link STRAY_END}). */
  stray: string;
}

/**
 * A closing tag Qwen2.5-Coder writes after a fenced call it never opened with a tag (```` ```json
 * {…} ``` ```` then `</tool_call>`): it belongs to the call, so it neither stops the fence from ending
 * the answer nor goes out as text.
 */
export const STRAY_END = "</tool_call>";

const isBlank = (text: string): boolean => text.trim() === "";
// A head that is still undecided after this much text is not a call worth waiting for.
const MAX_HEAD = 4096;
// How long a doubtful block waits for its end marker; a blank line ends the wait too.
const MAX_DOUBTFUL_BODY = 200;

const FENCE_CLOSE = "\n```";
const BACKTICK = 96;

/** Whether text right after a call goes on with the same line (so the call was part of a sentence). */
function continuesLine(events: readonly ToolParseEvent[]): boolean {
  const firstCall = events.findIndex((event) => event.type !== "text");
  for (const event of events.slice(firstCall + 1)) {
    if (event.type !== "text") continue;
    const next = /[^ \t\r]/.exec(event.text)?.[0];
    if (next !== undefined) return next !== "\n";
  }
  return false;
}

const PREFIX_CAP = MAX_HEAD + MAX_DOUBTFUL_BODY + 256;

/**
 * Where a doubtful block ends: just past its end marker when that comes within the wait and before
 * a blank line, -2 when it cannot any more (the marker was named in prose), -1 to keep waiting.
 * Read from the block's start each time, so that every split of the text decides the same.
 */
function doubtfulEnd(prefix: string, block: CallBlock): number {
  const end = block.end ?? "";
  const body = prefix.slice(block.start.length);
  const at = body.indexOf(end);
  const blank = body.indexOf("\n\n");
  if (at !== -1 && at <= MAX_DOUBTFUL_BODY && (blank === -1 || blank + 2 > at)) return block.start.length + at + end.length;
  if (blank !== -1 || body.length > MAX_DOUBTFUL_BODY + end.length) return -2;
  return -1;
}

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

/** What one pass over text found: the first marker that may open a block, or how much to hold. */
type Scan = { readonly hit: StartHit; readonly leadStart: number } | { readonly hit: null; readonly keep: number };

/**
 * Builds an incremental parser from a format's block markers. Text outside blocks is released as
 * soon as it can no longer be the beginning of a call; a block is buffered whole and parsed once
 * its end marker arrives (or at `end()`). A start marker opens a block only where the answer's
 * Markdown lets it be a call (see {@link markerPosition}) and only while the body opens the way the
 * format's calls do. Decisions depend only on the text, never on how it was chunked, which is what
 * makes every split of the same output give the same events.
 */
export function createMarkerScanner(spec: ScannerSpec): ToolCallTextParser {
  // Text outside any block that may still begin a call.
  let held = "";
  let open: OpenBlock | null = null;
  let candidate: Candidate | null = null;
  // Whether anything but whitespace has appeared, which disables `atOutputStart` markers.
  let sawContent = false;
  // The last character of the output before the current position (text or a block).
  let lastChar = "";
  // The Markdown context of everything released so far (held text is read again each time).
  const context = createTextContext();
  // The last characters of text read since the last call: what introduces a fence that may follow.
  let recent = "";
  let out: ToolParseEvent[] = [];

  /** Whether `block` may start at `at` in `text` (only `atOutputStart` blocks depend on what precedes). */
  const eligibleAtStart = (block: CallBlock, text: string, at: number): boolean => !block.atOutputStart || (!sawContent && isBlank(text.slice(0, at)));

  /** Whether `block` may start at `at` in `text`, where the answer's Markdown puts it at `position`. */
  const eligible = (block: CallBlock, text: string, at: number, position: MarkerPosition, ctx: TextContext): boolean =>
    eligibleAtStart(block, text, at) &&
    (block.fenceInfo === undefined || (position === "fence" && block.fenceInfo.test(ctx.fenceInfo.trim()))) &&
    (block.atLineStart !== true || (position === "call" && ctx.lineStart));

  /**
   * At a fence's first content: whether the prose that introduces the fence presents it as an
   * example, so that what is in it is quoted, not called. `text` is the unreleased text, whose first
   * character is at stream offset `base`; the fence's opening is still in it (held until now).
   * After calls in the same fence (no lead) the first call has already passed this test.
   */
  const introducedAsExample = (ctx: TextContext, text: string, base: number): boolean => {
    const lead = fenceLeadStart(ctx);
    return lead !== null && presentsExample(recent + text.slice(0, Math.max(0, lead - base)));
  };

  /**
   * One pass over `text` (which follows the released text): the first start marker at a position
   * where a call may be (the longest one where several begin there), else the length of the
   * longest suffix that could still grow into one, or that holds a fence's opening.
   */
  const scan = (text: string): Scan => {
    const { byFirstChar, longestStart } = markerIndexOf(spec.blocks);
    const ctx = copyContext(context);
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
          (at === "fence" && introducedAsExample(ctx, text, base)) || (at === "call" && ctx.lineStart && presentsSample(recent + text.slice(0, index)))
            ? "code"
            : at;
        if (position !== "code") {
          let best: CallBlock | null = null;
          // A longer marker the text ends inside of (`[TOOL_CALLS]` while `[` opens a fenced list).
          let longerMayFollow = false;
          for (const block of candidates) {
            if (!eligible(block, text, index, position, ctx)) continue;
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
  };

  const emit = (event: ToolParseEvent): void => {
    const last = out.at(-1);
    if (event.type === "text" && last?.type === "text") out[out.length - 1] = { type: "text", text: last.text + event.text };
    else out.push(event);
  };

  const settle = (accepted: boolean): void => {
    const settled = candidate;
    if (settled === null) return;
    candidate = null;
    if (accepted) for (const event of settled.events) emit(event);
    else if (settled.verbatim !== "") emit({ type: "text", text: settled.verbatim });
  };

  /**
   * Text outside blocks, through the Markdown context; a waiting candidate is decided by it: a
   * sentence call by what follows it on its line, a fenced call by whether anything follows the fence.
   */
  const pushText = (text: string): void => {
    if (text === "") return;
    if (!sawContent && !isBlank(text)) sawContent = true;
    recent = (text.length >= MAX_INTRO ? text : recent + text).slice(-MAX_INTRO);
    lastChar = text.slice(-1);
    let index = 0;
    if (candidate !== null) {
      let decision: boolean | null = null;
      for (; index < text.length; index++) {
        const code = text.charCodeAt(index);
        decision = decide(candidate, code);
        if (decision !== null) break;
        advanceContext(context, code);
      }
      const waited = text.slice(0, index);
      candidate.verbatim += waited;
      // Around a fenced call only its fences and whitespace wait here; they go with the fence.
      if (candidate.kind === "sentence" && waited !== "") candidate.events.push({ type: "text", text: waited });
      if (decision === null) return;
      settle(decision);
    }
    const rest = text.slice(index);
    advanceContextOver(context, rest);
    emit({ type: "text", text: rest });
  };

  /** Whether the character `code` accepts (true) or rejects (false) the candidate, or null to go on. */
  const decide = (waiting: Candidate, code: number): boolean | null => {
    const space = code === 32 || code === 9 || code === 13;
    if (waiting.kind === "sentence") {
      if (space) return null;
      return code === 10;
    }
    // A backtick may still belong to the closing run: asking whether the fence is closed would settle
    // the run before it ends, too short to close it, and leave the context inside the fence for good.
    if (code === BACKTICK && context.fence > 0) return null;
    if (!fenceClosed(context)) {
      // Inside the fence only whitespace and the closing backticks may follow the calls.
      return space || code === 10 ? null : false;
    }
    // After the closing fence: its line, then nothing but whitespace until the answer ends, but for
    // one stray closing tag.
    if (space || code === 10) return waiting.stray === "" || waiting.stray === STRAY_END ? null : false;
    const stray = waiting.stray + String.fromCharCode(code);
    if (!STRAY_END.startsWith(stray)) return false;
    waiting.stray = stray;
    return null;
  };

  /** The block's whole text so far, collapsed so later joins are free. */
  const blockText = (state: OpenBlock): string => {
    const text = state.chunks.join("");
    state.chunks = [text];
    return text;
  };

  /**
   * Adds `chunk` to the open block. Returns the offset just past an accepted end marker (the
   * block's text ends there), -1 while the block is still open, or -2 when its body shows that the
   * marker opened no call.
   */
  const appendToBlock = (state: OpenBlock, chunk: string): number => {
    const { block } = state;
    const windowStart = state.length - state.tail.length;
    const window = state.tail + chunk;
    state.chunks.push(chunk);
    state.length += chunk.length;
    if (state.prefix.length < PREFIX_CAP) state.prefix += chunk.slice(0, PREFIX_CAP - state.prefix.length);
    // JSON that text follows was shown, not called (see CallBlock.jsonToEnd).
    if (state.json?.feed(chunk) === true) return -2;
    if (!state.opened && !state.doubtful && block.head !== undefined) {
      const body = state.prefix.slice(block.start.length);
      const match = matchHeads(body, block.head);
      const refused = match.kind === "yes" && spec.acceptsHead?.(block, match.name) === false;
      if (match.kind === "yes" && !refused) state.opened = true;
      else if (match.kind === "no" || refused || body.length > MAX_HEAD) {
        // Only a marker in call position may still be a broken call, and only one that has an end.
        if (state.position !== "call" || block.end === null) return -2;
        state.doubtful = true;
      }
    }
    if (state.doubtful) return doubtfulEnd(state.prefix, block);
    if (block.end === null) {
      if (state.position !== "fence") return -1;
      // A call without an end marker that fills a fence ends where the fence does.
      const at = window.indexOf(FENCE_CLOSE);
      if (at !== -1 && windowStart + at >= block.start.length) return windowStart + at;
      state.tail = window.slice(Math.max(0, window.length - (FENCE_CLOSE.length - 1)));
      return -1;
    }
    for (let at = window.indexOf(block.end); at !== -1; at = window.indexOf(block.end, at + 1)) {
      const index = windowStart + at;
      if (index < block.start.length) continue;
      if (!block.acceptsEnd) return index + block.end.length;
      const body = blockText(state).slice(block.start.length, index);
      if (closesInnerCall(block, body)) continue;
      if (spec.acceptsEnd ? spec.acceptsEnd(block, body) : block.acceptsEnd(body)) {
        return index + block.end.length;
      }
    }
    state.tail = window.slice(Math.max(0, window.length - (block.end.length - 1)));
    return -1;
  };

  /** The marker opened no call: it is text, and what followed it is read again. */
  const rejectBlock = (state: OpenBlock, raw: string): string => {
    pushText(state.lead + state.block.start);
    return raw.slice(state.block.start.length);
  };

  /** Parses a finished block; returns the text to read again when it was no call. */
  const finishBlock = (state: OpenBlock, raw: string, terminated: boolean): string | null => {
    const { block, precededBy, position } = state;
    const bodyEnd = terminated && block.end !== null ? raw.length - block.end.length : raw.length;
    const body = raw.slice(block.start.length, bodyEnd);
    // A marker at the very end of the answer, with nothing after it, was named, not used.
    if (!state.opened && block.head !== undefined && isBlank(body) && !terminated) return rejectBlock(state, raw);
    // A doubtful marker whose end never came was named in a last line of prose.
    if (state.doubtful && !terminated) return rejectBlock(state, raw);
    // Without markers only a head that opened makes a call: a fence closed on `{"na` is data.
    if (!state.opened && (block.fenceInfo !== undefined || block.atLineStart === true)) return rejectBlock(state, raw);
    const events = spec.parse({ block, body, raw, terminated, precededBy });
    if (events === null) return rejectBlock(state, raw);
    const broken = events.some((event) => event.type === "invalid_call");
    // Prose never gets a note: a broken call in the middle of a sentence is just the sentence.
    if (position === "sentence" && candidate === null && (broken || continuesLine(events))) return rejectBlock(state, raw);
    lastChar = raw.slice(-1);
    advanceContextOver(context, state.lead);
    afterCall(context, raw.length);
    recent = "";
    if (candidate !== null) {
      candidate.verbatim += state.lead + raw;
      candidate.events.push(...events);
    } else if (position === "sentence" || position === "fence") {
      candidate = { kind: position, verbatim: state.lead + raw, events, stray: "" };
    } else {
      for (const event of events) emit(event);
    }
    return null;
  };

  const drain = (input: string, final: boolean): void => {
    let pending = input;
    for (;;) {
      if (open !== null) {
        const state: OpenBlock = open;
        const closeAt = appendToBlock(state, pending);
        pending = "";
        if (closeAt === -2) {
          open = null;
          pending = rejectBlock(state, blockText(state));
          continue;
        }
        if (closeAt === -1) {
          if (!final) return;
          open = null;
          pending = finishBlock(state, blockText(state), false) ?? "";
          continue;
        }
        const text = blockText(state);
        open = null;
        const again = finishBlock(state, text.slice(0, closeAt), state.block.end !== null);
        pending = (again ?? "") + text.slice(closeAt);
        continue;
      }
      const text = held + pending;
      pending = "";
      const found = scan(text);
      if (found.hit === null) {
        const keep = final ? 0 : found.keep;
        pushText(text.slice(0, text.length - keep));
        held = text.slice(text.length - keep);
        // A closing tag cut short is not the stray one: the answer went on after the fence.
        if (final && open === null) settle(candidate === null || candidate.stray === "" || candidate.stray === STRAY_END);
        return;
      }
      const { hit, leadStart } = found;
      pushText(text.slice(0, leadStart));
      held = "";
      sawContent = true;
      open = {
        block: hit.block,
        precededBy: lastChar,
        position: hit.position,
        lead: text.slice(leadStart, hit.index),
        chunks: [],
        length: 0,
        tail: "",
        prefix: "",
        opened: hit.block.head === undefined,
        doubtful: false,
        json: hit.block.jsonToEnd === true ? followJsonValues(STRAY_END) : null,
      };
      pending = text.slice(hit.index);
    }
  };

  const run = (input: string, final: boolean): ToolParseEvent[] => {
    out = [];
    drain(input, final);
    return out;
  };

  return {
    feed: (chunk) => run(chunk, false),
    end: () => run("", true),
  };
}

/**
 * Whether an end marker after `body` closes a call written inside one of the block's values (a Write
 * of a file that holds a whole call of the same format) rather than the block: the body holds more
 * start markers that open a call (their head matches: "the <tool_call> tag" does not) than end markers.
 */
function closesInnerCall(block: CallBlock, body: string): boolean {
  const { end } = block;
  if (end === null || end === "") return false;
  let opened = 0;
  for (let at = body.indexOf(block.start); at !== -1; at = body.indexOf(block.start, at + block.start.length)) {
    if (block.head === undefined || matchHeads(body.slice(at + block.start.length, at + block.start.length + MAX_INNER_HEAD), block.head).kind === "yes")
      opened += 1;
  }
  if (opened === 0) return false;
  let closed = 0;
  for (let at = body.indexOf(end); at !== -1 && closed < opened; at = body.indexOf(end, at + end.length)) closed += 1;
  return opened > closed;
}

/** How far past an inner start marker its head is looked for (heads are a name and a tag or two). */
const MAX_INNER_HEAD = 512;
