import { scanJsonBody } from "./scan-json-body.js";

/**
 * Deepest nesting a request body may have. Real requests nest a few levels (messages → content →
 * tool input → a JSON Schema's properties); 256 leaves room for any of them, while the code that
 * walks a parsed body recursively (validation, trimming, translation) stays far from the stack's end.
 */
export const MAX_JSON_DEPTH = 256;

/**
 * Whether `text` nests arrays and objects deeper than `maxDepth` — one linear pass over the
 * text, skipping strings, before JSON.parse builds anything. Malformed JSON is left to JSON.parse.
 */
export function jsonDepthExceeds(text: string, maxDepth = MAX_JSON_DEPTH): boolean {
  return scanJsonBody(text, maxDepth).tooDeep;
}
