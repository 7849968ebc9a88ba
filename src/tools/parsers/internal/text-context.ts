/**
 * Where in the answer's Markdown a character sits: inside inline code, inside a fenced block, at the
 * start of a line, or in the middle of a sentence. The marker scanner asks this before it lets a
 * start marker open a call, because models quote and explain call markup as often as they write it.
 *
 * Only text is fed here (never the inside of a call block), one character at a time, so the state
 * after any split of the same text is the same.
 */

/** How a fenced block's content has gone so far. */
type FenceState =
  /** Still on the opening line (```` ```json ````). */
  | "info"
  /** Past the opening line, only whitespace yet: a call may still fill the block. */
  | "empty"
  /** Only calls (and whitespace) so far: another call may follow inside the same fence. */
  | "calls"
  /** Code or prose: markers in the rest of the block are quoted, not called. */
  | "content";

export interface TextContext {
  /** Only whitespace so far on the current line. */
  lineStart: boolean;
  /** The last non-whitespace character on the line; "" at a line start or right after a call. */
  prevNonSpace: string;
  /** The last character seen. */
  lastChar: string;
  /** Length of the backtick run being read (its meaning is settled by the next other character). */
  tickRun: number;
  tickRunAtLineStart: boolean;
  /** Stream offset of the backtick run being read. */
  tickRunAt: number;
  /** Backtick count of the open inline code span; 0 outside one. */
  codeSpan: number;
  /** Backtick count of the open fence; 0 outside one. */
  fence: number;
  fenceState: FenceState;
  /** Stream offset of the open fence's first backtick. */
  fenceAt: number;
  /**
   * The open fence's info string as far as it is read (```` ```json ```` gives "json"), capped: a
   * call without markers counts only in a fence labelled for data, never in one labelled as code.
   */
  fenceInfo: string;
  /** The stream offset of the next character. */
  offset: number;
}

export const createTextContext = (): TextContext => ({
  lineStart: true,
  prevNonSpace: "",
  lastChar: "",
  tickRun: 0,
  tickRunAtLineStart: false,
  tickRunAt: 0,
  codeSpan: 0,
  fence: 0,
  fenceState: "info",
  fenceAt: 0,
  fenceInfo: "",
  offset: 0,
});

export const copyContext = (ctx: TextContext): TextContext => ({ ...ctx });

const BACKTICK = 96;
// Longer info strings are not labels a call is written under (```json, ```tool_call).
const MAX_FENCE_INFO = 32;
const NEWLINE = 10;
const isSpace = (code: number): boolean => code === 32 || code === 9 || code === 13 || code === 12 || code === 0xa0;

/** Settles a finished backtick run: it opens or closes a fence or an inline code span. */
function settleRun(ctx: TextContext): void {
  const run = ctx.tickRun;
  if (run === 0) return;
  ctx.tickRun = 0;
  if (ctx.fence > 0) {
    if (ctx.tickRunAtLineStart && run >= ctx.fence) ctx.fence = 0;
    else if (ctx.fenceState !== "info") ctx.fenceState = "content";
    return;
  }
  if (ctx.codeSpan === 0 && ctx.tickRunAtLineStart && run >= 3) {
    ctx.fence = run;
    ctx.fenceState = "info";
    ctx.fenceAt = ctx.tickRunAt;
    ctx.fenceInfo = "";
    return;
  }
  if (ctx.codeSpan === 0) ctx.codeSpan = run;
  else if (ctx.codeSpan === run) ctx.codeSpan = 0;
}

/** Advances `ctx` over one UTF-16 code unit of text. */
export function advanceContext(ctx: TextContext, code: number): void {
  const offset = ctx.offset++;
  if (code === BACKTICK) {
    if (ctx.tickRun === 0) {
      ctx.tickRunAtLineStart = ctx.lineStart;
      ctx.tickRunAt = offset;
    }
    ctx.tickRun++;
    ctx.lineStart = false;
    ctx.prevNonSpace = "`";
    ctx.lastChar = "`";
    return;
  }
  settleRun(ctx);
  const char = String.fromCharCode(code);
  ctx.lastChar = char;
  if (code === NEWLINE) {
    if (ctx.fence > 0 && ctx.fenceState === "info") ctx.fenceState = "empty";
    // A blank line ends a paragraph, and with it an inline code span that was never closed.
    if (ctx.lineStart) ctx.codeSpan = 0;
    ctx.lineStart = true;
    ctx.prevNonSpace = "";
    return;
  }
  if (ctx.fence > 0 && ctx.fenceState === "info" && ctx.fenceInfo.length < MAX_FENCE_INFO) ctx.fenceInfo += char;
  if (isSpace(code)) return;
  if (ctx.fence > 0 && (ctx.fenceState === "empty" || ctx.fenceState === "calls")) ctx.fenceState = "content";
  ctx.lineStart = false;
  ctx.prevNonSpace = char;
}

export function advanceContextOver(ctx: TextContext, text: string): void {
  for (let index = 0; index < text.length; index++) advanceContext(ctx, text.charCodeAt(index));
}

/** A call block was read: the text after it starts like a new line of calls, not mid-sentence. */
export function afterCall(ctx: TextContext, blockLength: number): void {
  settleRun(ctx);
  ctx.offset += blockLength;
  ctx.prevNonSpace = "";
  ctx.lastChar = ">";
  if (ctx.fence > 0 && (ctx.fenceState === "empty" || ctx.fenceState === "calls")) ctx.fenceState = "calls";
}

/**
 * Where a start marker at the context's position would be:
 * - `code`: inside inline code, a fence's opening line or a fence that holds other code: quoted;
 * - `fence`: the first thing in a fenced block (or after other calls in it): a call only if the
 *   block ends the answer;
 * - `sentence`: after a word and a space on the same line: a call only if the line ends after it;
 * - `call`: the start of the answer or of a line, after sentence punctuation, or glued to a token.
 */
export type MarkerPosition = "code" | "fence" | "sentence" | "call";

// A word, a number or a closing quote before the space: the marker continues a sentence. After
// punctuation, a tag or a bracket it starts something new ("Let me check: <tool_call>…").
const IN_SENTENCE = /[\p{L}\p{N},'"’”`]/u;

export function markerPosition(ctx: TextContext): MarkerPosition {
  settleRun(ctx);
  if (ctx.codeSpan > 0) return "code";
  if (ctx.fence > 0) return ctx.fenceState === "empty" || ctx.fenceState === "calls" ? "fence" : "code";
  if (ctx.lineStart || ctx.prevNonSpace === "") return "call";
  const spaced = ctx.lastChar === " " || ctx.lastChar === "\t" || ctx.lastChar === "\u00a0";
  return spaced && IN_SENTENCE.test(ctx.prevNonSpace) ? "sentence" : "call";
}

/**
 * Where held text must start so that a fence's opening (or a backtick run at a line start that may
 * become one) is not released before it is known whether a call fills the fence. Null when nothing
 * of the kind is open. A fence whose first content is a call drops its fences with it.
 */
export function fenceLeadStart(ctx: TextContext): number | null {
  if (ctx.tickRun > 0 && ctx.tickRunAtLineStart && ctx.fence === 0 && ctx.codeSpan === 0) return ctx.tickRunAt;
  if (ctx.fence > 0 && (ctx.fenceState === "info" || ctx.fenceState === "empty")) return ctx.fenceAt;
  return null;
}

/** Whether the fence opened for a call has been closed. */
export const fenceClosed = (ctx: TextContext): boolean => {
  settleRun(ctx);
  return ctx.fence === 0;
};
