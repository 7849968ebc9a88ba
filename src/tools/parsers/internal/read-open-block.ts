/**
 * The marker scanner's reading of a block once its start marker is found: chunks are added until
 * the end marker that closes it, or until the body shows the marker opened no call.
 */
import type { CallBlock, ScannerSpec } from "./scanner-spec.js";
import { matchHeads } from "./match-head.js";
import type { MarkerPosition } from "./text-context.js";
import type { JsonValuesFollower } from "./follow-json-values.js";

/** The block being read. Chunks are kept apart: re-searching one growing string is quadratic. */
export interface OpenBlock {
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

// A head that is still undecided after this much text is not a call worth waiting for.
const MAX_HEAD = 4096;
// How long a doubtful block waits for its end marker; a blank line ends the wait too.
const MAX_DOUBTFUL_BODY = 200;

const FENCE_CLOSE = "\n```";

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

/** The block's whole text so far, collapsed so later joins are free. */
export function blockText(state: OpenBlock): string {
  const text = state.chunks.join("");
  state.chunks = [text];
  return text;
}

/**
 * Adds `chunk` to the open block. Returns the offset just past an accepted end marker (the
 * block's text ends there), -1 while the block is still open, or -2 when its body shows that the
 * marker opened no call.
 */
export function appendToBlock(spec: ScannerSpec, state: OpenBlock, chunk: string): number {
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
