/**
 * Characters past which an answer has certainly overrun `maxTokens`: 32 a token (no tokenizer's
 * tokens average more, long runs of spaces included) and 4 K of slack. A server that ignores
 * max_tokens would otherwise stream for as long as the model goes on.
 */
export function overrunChars(maxTokens: number): number {
  return maxTokens * 32 + 4096;
}
