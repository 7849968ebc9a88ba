export interface ControlTokenStripper {
  /** The next piece of answer text, with control tokens removed; a possible partial token is held. */
  feed(text: string): string;
  /** No more text continues what is held (a block that is not text comes, or the answer ends): release it. */
  release(): string;
}

/**
 * Removes a family's end-of-turn and framing tokens (`<|im_end|>`, `<｜end▁of▁sentence｜>`,
 * `<|END_RESPONSE|>`…) from answer text, as a server rendering special tokens away would. Runs on
 * text only, after the tool-call parser, so a tool call's arguments (a chat template being written
 * to a file) keep every character.
 *
 * Only a token that frames the turn goes: one that opens a line, or ends a line or the answer (or
 * stands right before another token); inside a sentence it is the model naming it, and stays.
 * Tokens in code are the model quoting them and stay too: inside inline backticks, in a fenced
 * block (a line opening with three or more backticks or tildes, up to a line closing it with as many
 * of the same), or in an indented code block (a line indented four columns after a blank line or
 * another such line: CommonMark's rule, as the tool-call parsers read it). A token, or a run of
 * backticks or tildes, that the text ends in may continue in the next piece, so it is held until
 * then: the result is the same for any split of the same text.
 */
export function createControlTokenStripper(tokens: readonly string[]): ControlTokenStripper {
  const byFirstChar = new Map<string, string[]>();
  for (const token of tokens) {
    const first = token.charAt(0);
    byFirstChar.set(first, [...(byFirstChar.get(first) ?? []), token]);
  }
  const longest = tokens.reduce((max, token) => Math.max(max, token.length), 0);
  let held = "";
  // Code state carried from one piece to the next.
  let atLineStart = true;
  let fence = 0; // backticks or tildes of the open fence; 0 outside one
  let fenceChar = "`";
  let inline = 0; // backticks of the open inline code span; 0 outside one
  // Indented code blocks: the line's leading columns, whether it is code, and what the line before was.
  let lineIndent = 0;
  let indented = false;
  let previousBlank = true;
  let previousIndented = false;

  function scan(text: string, final: boolean): string {
    let out = "";
    let from = 0; // start of the text not yet copied to out
    let i = 0;
    while (i < text.length) {
      const ch = text.charAt(i);
      if (ch !== "\n" && ch !== " " && ch !== "\t") lineContent();
      if (ch === "`" || (ch === "~" && atLineStart && !indented)) {
        let run = 1;
        while (text.charAt(i + run) === ch) run++;
        if (i + run === text.length && !final) return keep(out + text.slice(from, i), text.slice(i));
        readFenceRun(ch, run);
        i += run;
        continue;
      }
      if (ch === "\n") {
        endLine();
      } else if (ch === " " || ch === "\t") {
        indent(ch);
      } else {
        const lineStart = atLineStart;
        atLineStart = false;
        const candidates = fence === 0 && inline === 0 && !indented ? byFirstChar.get(ch) : undefined;
        if (candidates !== undefined) {
          const token = candidates.find((candidate) => text.startsWith(candidate, i));
          if (token !== undefined) {
            const after = i + token.length;
            let next = after;
            while (text.charAt(next) === " " || text.charAt(next) === "\t") next++;
            // Whether the line ends after it decides, so a token the piece ends with waits for more.
            if (!final && (next === text.length || mayStartToken(text, next))) {
              atLineStart = lineStart;
              return keep(out + text.slice(from, i), text.slice(i));
            }
            // A token the model ends a line or the answer with, or opens a line with, frames the turn;
            // one inside a sentence is the model naming it ("calls close with <|call|>, so …"): text.
            if (lineStart || next === text.length || text.charAt(next) === "\n" || startsToken(text, next)) {
              out += text.slice(from, i);
              atLineStart = lineStart;
              i = after;
              from = i;
              continue;
            }
            i = after;
            continue;
          }
          const left = text.length - i;
          if (!final && left < longest && candidates.some((candidate) => candidate.length > left && candidate.startsWith(text.slice(i)))) {
            atLineStart = lineStart;
            return keep(out + text.slice(from, i), text.slice(i));
          }
        }
      }
      i++;
    }
    held = "";
    return out + text.slice(from);
  }

  /** The piece ends in what may be the start of a token (`<|END_` of `<|END_OF_TURN_TOKEN|>`). */
  function mayStartToken(text: string, at: number): boolean {
    const rest = text.slice(at);
    return rest.length < longest && (byFirstChar.get(rest.charAt(0))?.some((token) => token.length > rest.length && token.startsWith(rest)) ?? false);
  }

  function startsToken(text: string, at: number): boolean {
    return byFirstChar.get(text.charAt(at))?.some((token) => text.startsWith(token, at)) ?? false;
  }

  function keep(out: string, rest: string): string {
    held = rest;
    return out;
  }

  /** A run of backticks, or of tildes opening a line: a fence's opener or closer, or an inline span's edge. */
  function readFenceRun(ch: string, run: number): void {
    if (atLineStart && run >= 3 && inline === 0 && !indented) {
      if (fence === 0) {
        fence = run;
        fenceChar = ch;
      } else if (ch === fenceChar && run >= fence) fence = 0;
    } else if (ch === "`" && fence === 0 && !indented) {
      if (inline === 0) inline = run;
      else if (run === inline) inline = 0;
    }
    atLineStart = false;
  }

  /** A space or tab: it counts towards the line's indentation while nothing else has come on it. */
  function indent(ch: string): void {
    if (atLineStart) lineIndent += ch === "\t" ? 4 - (lineIndent % 4) : 1;
  }

  /** The first character of a line that is not blank decides whether the line is indented code. */
  function lineContent(): void {
    if (atLineStart) indented = fence === 0 && lineIndent >= 4 && (previousBlank || previousIndented);
  }

  function endLine(): void {
    if (atLineStart) previousBlank = true;
    else {
      previousBlank = false;
      previousIndented = indented;
    }
    atLineStart = true;
    inline = 0; // an unclosed span ends with its line
    lineIndent = 0;
    indented = false;
  }

  return {
    feed(text) {
      if (held === "" && !mayMatter(text)) {
        trackPlain(text);
        return text;
      }
      const buffer = held + text;
      held = "";
      return scan(buffer, false);
    },
    release() {
      const buffer = held;
      held = "";
      return buffer === "" ? "" : scan(buffer, true);
    },
  };

  /** Most pieces hold no backtick, tilde or token's first character: only the line state moves. */
  function mayMatter(text: string): boolean {
    for (let i = 0; i < text.length; i++) {
      const ch = text.charAt(i);
      if (ch === "`" || ch === "~" || byFirstChar.has(ch)) return true;
    }
    return false;
  }

  function trackPlain(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const ch = text.charAt(i);
      if (ch === "\n") endLine();
      else if (ch === " " || ch === "\t") indent(ch);
      else {
        lineContent();
        atLineStart = false;
      }
    }
  }
}
