/**
 * Where answer text stands in Markdown code, one character at a time: inside inline backticks, in a
 * fenced block (a line opening with three or more backticks or tildes, up to a line closing it with
 * as many of the same), or in an indented code block (a line indented four columns after a blank
 * line or another such line: CommonMark's rule, as the tool-call parsers read it). Carried from one
 * piece of the answer to the next.
 */
export interface CodeState {
  atLineStart: boolean;
  /** Backticks or tildes of the open fence; 0 outside one. */
  fence: number;
  fenceChar: string;
  /** Backticks of the open inline code span; 0 outside one. */
  inline: number;
  // Indented code blocks: the line's leading columns, whether it is code, and what the line before was.
  lineIndent: number;
  indented: boolean;
  previousBlank: boolean;
  previousIndented: boolean;
}

export function createCodeState(): CodeState {
  return { atLineStart: true, fence: 0, fenceChar: "`", inline: 0, lineIndent: 0, indented: false, previousBlank: true, previousIndented: false };
}

/** A run of backticks, or of tildes opening a line: a fence's opener or closer, or an inline span's edge. */
export function readFenceRun(code: CodeState, ch: string, run: number): void {
  if (code.atLineStart && run >= 3 && code.inline === 0 && !code.indented) {
    if (code.fence === 0) {
      code.fence = run;
      code.fenceChar = ch;
    } else if (ch === code.fenceChar && run >= code.fence) code.fence = 0;
  } else if (ch === "`" && code.fence === 0 && !code.indented) {
    if (code.inline === 0) code.inline = run;
    else if (run === code.inline) code.inline = 0;
  }
  code.atLineStart = false;
}

/** A space or tab: it counts towards the line's indentation while nothing else has come on it. */
export function indent(code: CodeState, ch: string): void {
  if (code.atLineStart) code.lineIndent += ch === "\t" ? 4 - (code.lineIndent % 4) : 1;
}

/** The first character of a line that is not blank decides whether the line is indented code. */
export function lineContent(code: CodeState): void {
  if (code.atLineStart) code.indented = code.fence === 0 && code.lineIndent >= 4 && (code.previousBlank || code.previousIndented);
}

export function endLine(code: CodeState): void {
  if (code.atLineStart) code.previousBlank = true;
  else {
    code.previousBlank = false;
    code.previousIndented = code.indented;
  }
  code.atLineStart = true;
  code.inline = 0; // an unclosed span ends with its line
  code.lineIndent = 0;
  code.indented = false;
}

/** Text with no backtick or tilde in it: only the line state moves. */
export function trackPlain(code: CodeState, text: string): void {
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === "\n") endLine(code);
    else if (ch === " " || ch === "\t") indent(code, ch);
    else {
      lineContent(code);
      code.atLineStart = false;
    }
  }
}
