/**
 * Deepest nesting a request body may have. Real requests nest a few levels (messages → content →
 * tool input → a JSON Schema's properties); 256 leaves room for any of them, while the code that
 * walks a parsed body recursively (validation, trimming, translation) stays far from the stack's end.
 */
export const MAX_JSON_DEPTH = 256;

/**
 * Whether `text` nests arrays and objects deeper than `maxDepth` — one linear pass over the
 * characters, skipping strings, before JSON.parse builds anything. Malformed JSON is left to JSON.parse.
 */
export function jsonDepthExceeds(text: string, maxDepth = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}
