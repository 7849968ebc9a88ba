import { createPartialMarkerMatcher } from "./match-partial-marker.js";

export interface TrailingTokenDropper {
  /** The next piece of content; what could still be the output's closing tokens is held. */
  feed(text: string): string;
  /** End of content: held tokens (and the whitespace between them) are dropped, a partial one kept. */
  end(): string;
}

const isSpace = (ch: string): boolean => ch === " " || ch === "\n" || ch === "\t" || ch === "\r";

/**
 * Drops the end-of-turn tokens an answer ends with (`…</tool_call><|im_end|>`, a DeepSeek call
 * followed by `<｜end▁of▁sentence｜>`), before the tool-call parser sees them: a format whose call
 * runs to the end of the output (Mistral, Llama 3, Granite) would otherwise read the token as part of
 * its call. A token followed by more text is the parser's, and is removed from the answer text after
 * it (createControlTokenStripper), never from a call's arguments.
 *
 * Tokens, whitespace between them and a token's possible beginning are held until more text shows
 * whether the output goes on; nothing else is delayed.
 */
export function createTrailingTokenDropper(tokens: readonly string[]): TrailingTokenDropper {
  const byLastChar = new Map<string, string[]>();
  for (const token of tokens) byLastChar.set(token.slice(-1), [...(byLastChar.get(token.slice(-1)) ?? []), token]);
  const firstChars = new Set(tokens.map((token) => token.charAt(0)));
  const partialLength = createPartialMarkerMatcher(tokens);
  let held = "";
  // Whether `held` is a whole closing run (no partial token at its end).
  let heldIsRun = false;

  /**
   * Where a run of whole tokens (and whitespace between them) ending at `end` starts; -1: none.
   * `floor`: where a run already held ends, so a long run is read once, not again with each piece.
   */
  function runStartBefore(text: string, end: number, floor: number): number {
    let start = -1;
    let at = end;
    for (;;) {
      let before = at;
      while (before > floor && isSpace(text.charAt(before - 1))) before--;
      if (floor > 0 && before === floor) return 0;
      const token = byLastChar.get(text.charAt(before - 1))?.find((candidate) => text.startsWith(candidate, before - candidate.length));
      if (token === undefined || before - token.length < floor) return start;
      start = before - token.length;
      at = start;
    }
  }

  /** Where the held closing run starts: whole tokens to the end, or up to a token's possible beginning. */
  function closingRunStart(buffer: string, floor: number): number {
    const whole = runStartBefore(buffer, buffer.length, floor);
    heldIsRun = whole !== -1;
    if (whole !== -1) return whole;
    const partial = partialLength(buffer);
    if (partial === 0) return buffer.length;
    const beforePartial = runStartBefore(buffer, buffer.length - partial, floor);
    return beforePartial === -1 ? buffer.length - partial : beforePartial;
  }

  // Most pieces hold no token's first character: they pass without a search.
  function mayHoldToken(text: string): boolean {
    for (let i = 0; i < text.length; i++) if (firstChars.has(text.charAt(i))) return true;
    return false;
  }

  return {
    feed(text) {
      if (held === "" && !mayHoldToken(text)) return text;
      const buffer = held + text;
      const heldFrom = closingRunStart(buffer, heldIsRun ? held.length : 0);
      held = buffer.slice(heldFrom);
      return buffer.slice(0, heldFrom);
    },
    end() {
      // What is held is a closing run, then perhaps a token's beginning: text the output ended in.
      const rest = heldIsRun ? "" : held.slice(held.length - partialLength(held));
      held = "";
      heldIsRun = false;
      return rest;
    },
  };
}
