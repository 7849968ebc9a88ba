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
  /** Tilde count of the open `~~~` fence; 0 outside one. Markers in it are quoted: models fence real calls in backticks. */
  tildeFence: number;
  /** Length of the tilde run being read at a line start (-1: the line did not start with one). */
  tildeRun: number;
  /** Columns of whitespace before the current line's first character so far (a tab counts 4). */
  indent: number;
  /** The line before the current one was blank (or there was none): a 4-space indent there opens a code block. */
  blankBefore: boolean;
  /** The current line belongs to an indented code block. */
  indentedCode: boolean;
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
  tildeFence: 0,
  tildeRun: 0,
  indent: 0,
  blankBefore: true,
  indentedCode: false,
});

export const copyContext = (ctx: TextContext): TextContext => ({ ...ctx });

const BACKTICK = 96;
const TILDE = 126;
const TAB = 9;
/** CommonMark: four columns of indentation after a blank line start an indented code block. */
const CODE_INDENT = 4;
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

/** Settles a line's first non-space character: whether the line is indented code, a tilde fence's line. */
function settleLineStart(ctx: TextContext, code: number): void {
  if (ctx.fence === 0 && ctx.tildeFence === 0) ctx.indentedCode = ctx.indent >= CODE_INDENT && (ctx.blankBefore || ctx.indentedCode);
  ctx.tildeRun = code === TILDE && ctx.fence === 0 && ctx.codeSpan === 0 && !ctx.indentedCode ? 0 : -1;
}

/** A tilde run at a line start: three or more open a `~~~` fence, and at least as many close it. */
function trackTildes(ctx: TextContext, code: number): void {
  if (ctx.tildeRun < 0) return;
  if (code === TILDE) {
    ctx.tildeRun += 1;
    return;
  }
  if (ctx.tildeFence === 0 && ctx.tildeRun >= 3) ctx.tildeFence = ctx.tildeRun;
  else if (ctx.tildeFence > 0 && ctx.tildeRun >= ctx.tildeFence && (code === NEWLINE || isSpace(code))) ctx.tildeFence = 0;
  ctx.tildeRun = -1;
}

/** Advances `ctx` over one UTF-16 code unit of text. */
export function advanceContext(ctx: TextContext, code: number): void {
  if (ctx.lineStart && code !== NEWLINE && !isSpace(code)) settleLineStart(ctx, code);
  else if (ctx.lineStart && code === TAB) ctx.indent += CODE_INDENT;
  else if (ctx.lineStart && code !== NEWLINE) ctx.indent += 1;
  trackTildes(ctx, code);
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
    ctx.blankBefore = ctx.lineStart;
    ctx.indent = 0;
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
  if (ctx.codeSpan > 0 || ctx.tildeFence > 0) return "code";
  // An indented code block: this line's (the marker would be its first character) or one already open.
  if (ctx.fence === 0 && (ctx.lineStart ? ctx.indent >= CODE_INDENT && (ctx.blankBefore || ctx.indentedCode) : ctx.indentedCode)) return "code";
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
