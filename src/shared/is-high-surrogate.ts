/** The first half of a UTF-16 surrogate pair: text cut right after it would leave half a character. */
export function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
