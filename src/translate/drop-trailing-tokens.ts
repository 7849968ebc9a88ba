export interface TrailingTokenDropper {
  /** The next piece of content; what could still be the output's closing tokens is held. */
  feed(text: string): string;
  /** End of content: held tokens (and the whitespace between them) are dropped, a partial one kept. */
  end(): string;
}

const escape = (token: string): string => token.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

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
  if (tokens.length === 0) return { feed: (text) => text, end: () => "" };
  const alternatives = tokens.map(escape).join("|");
  // The closing run: a token, then only whitespace and tokens to the end of what has come so far.
  const closingRun = new RegExp(`(?:${alternatives})(?:\\s|${alternatives})*$`);
  const firstChars = new Set(tokens.map((token) => token.charAt(0)));
  let held = "";

  // Most pieces hold no token's first character: they pass without a search.
  function mayHoldToken(text: string): boolean {
    for (let i = 0; i < text.length; i++) if (firstChars.has(text.charAt(i))) return true;
    return false;
  }

  function partialLength(text: string): number {
    let longest = 0;
    for (const token of tokens) {
      for (let length = Math.min(token.length - 1, text.length); length > longest; length--) {
        if (text.endsWith(token.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }

  /** Where the closing run starts: whole tokens to the end, or up to a token's possible beginning. */
  function closingRunStart(buffer: string): number {
    const whole = closingRun.exec(buffer);
    if (whole !== null) return whole.index;
    const partial = partialLength(buffer);
    if (partial === 0) return buffer.length;
    const beforePartial = closingRun.exec(buffer.slice(0, buffer.length - partial));
    return beforePartial === null ? buffer.length - partial : beforePartial.index;
  }

  return {
    feed(text) {
      if (held === "" && !mayHoldToken(text)) return text;
      const buffer = held + text;
      const heldFrom = closingRunStart(buffer);
      held = buffer.slice(heldFrom);
      return buffer.slice(0, heldFrom);
    },
    end() {
      // What is held is a closing run, then perhaps a token's beginning, which is text the output ended in.
      const rest = closingRun.test(held) ? "" : held.slice(held.length - partialLength(held));
      held = "";
      return rest;
    },
  };
}
