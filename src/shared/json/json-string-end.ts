/**
 * The index of the quote that ends the JSON string opening at `open` (the text's end when it never
 * does). Found with indexOf, so a text that is mostly strings is skipped, not looped over.
 */
export function jsonStringEnd(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === 0x5c /* \ */) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}
