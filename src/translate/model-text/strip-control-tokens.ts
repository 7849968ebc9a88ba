import { createCodeState, endLine, indent, lineContent, readFenceRun, trackPlain, type CodeState } from "./track-markdown-code.js";

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
  const index = indexTokens(tokens);
  const code = createCodeState();
  let held = "";
  const scanHolding = (text: string, final: boolean): string => {
    const scanned = scan(index, code, text, final);
    held = scanned.held;
    return scanned.out;
  };
  return {
    feed(text) {
      if (held === "" && !mayMatter(index, text)) {
        trackPlain(code, text);
        return text;
      }
      const buffer = held + text;
      held = "";
      return scanHolding(buffer, false);
    },
    release() {
      const buffer = held;
      held = "";
      return buffer === "" ? "" : scanHolding(buffer, true);
    },
  };
}

/** The tokens by their first character, and the longest one's length. */
interface TokenIndex {
  readonly byFirstChar: ReadonlyMap<string, readonly string[]>;
  readonly longest: number;
}

function indexTokens(tokens: readonly string[]): TokenIndex {
  const byFirstChar = new Map<string, string[]>();
  for (const token of tokens) {
    const first = token.charAt(0);
    byFirstChar.set(first, [...(byFirstChar.get(first) ?? []), token]);
  }
  const longest = tokens.reduce((max, token) => Math.max(max, token.length), 0);
  return { byFirstChar, longest };
}

/** What a piece of text gives: the text to let out, and what to hold for the next piece. */
interface Scanned {
  readonly out: string;
  readonly held: string;
}

function scan(index: TokenIndex, code: CodeState, text: string, final: boolean): Scanned {
  let out = "";
  let from = 0; // start of the text not yet copied to out
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch !== "\n" && ch !== " " && ch !== "\t") lineContent(code);
    if (ch === "`" || (ch === "~" && code.atLineStart && !code.indented)) {
      let run = 1;
      while (text.charAt(i + run) === ch) run++;
      if (i + run === text.length && !final) return { out: out + text.slice(from, i), held: text.slice(i) };
      readFenceRun(code, ch, run);
      i += run;
      continue;
    }
    if (ch === "\n") {
      endLine(code);
    } else if (ch === " " || ch === "\t") {
      indent(code, ch);
    } else {
      const lineStart = code.atLineStart;
      code.atLineStart = false;
      const candidates = code.fence === 0 && code.inline === 0 && !code.indented ? index.byFirstChar.get(ch) : undefined;
      if (candidates !== undefined) {
        const token = candidates.find((candidate) => text.startsWith(candidate, i));
        if (token !== undefined) {
          const after = i + token.length;
          let next = after;
          while (text.charAt(next) === " " || text.charAt(next) === "\t") next++;
          // Whether the line ends after it decides, so a token the piece ends with waits for more.
          if (!final && (next === text.length || mayStartToken(index, text, next))) {
            code.atLineStart = lineStart;
            return { out: out + text.slice(from, i), held: text.slice(i) };
          }
          // A token the model ends a line or the answer with, or opens a line with, frames the turn;
          // one inside a sentence is the model naming it ("calls close with <|call|>, so …"): text.
          if (lineStart || next === text.length || text.charAt(next) === "\n" || startsToken(index, text, next)) {
            out += text.slice(from, i);
            code.atLineStart = lineStart;
            i = after;
            from = i;
            continue;
          }
          i = after;
          continue;
        }
        const left = text.length - i;
        if (!final && left < index.longest && candidates.some((candidate) => candidate.length > left && candidate.startsWith(text.slice(i)))) {
          code.atLineStart = lineStart;
          return { out: out + text.slice(from, i), held: text.slice(i) };
        }
      }
    }
    i++;
  }
  return { out: out + text.slice(from), held: "" };
}

/** The piece ends in what may be the start of a token (`<|END_` of `<|END_OF_TURN_TOKEN|>`). */
function mayStartToken(index: TokenIndex, text: string, at: number): boolean {
  const rest = text.slice(at);
  return rest.length < index.longest && (index.byFirstChar.get(rest.charAt(0))?.some((token) => token.length > rest.length && token.startsWith(rest)) ?? false);
}

function startsToken(index: TokenIndex, text: string, at: number): boolean {
  return index.byFirstChar.get(text.charAt(at))?.some((token) => text.startsWith(token, at)) ?? false;
}

/** Most pieces hold no backtick, tilde or token's first character: only the line state moves. */
function mayMatter(index: TokenIndex, text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === "`" || ch === "~" || index.byFirstChar.has(ch)) return true;
  }
  return false;
}
