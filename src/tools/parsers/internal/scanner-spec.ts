/**
 * How a format describes its calls to the marker scanner: the kinds of call region it knows, and
 * what it does with a region once the scanner has read one.
 */
import type { ToolParseEvent } from "../types.js";
import type { HeadAlternatives } from "./match-head.js";

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
