/**
 * ~3.5 characters per token for English prose and code with BPE tokenizers; documented in docs/proxy.md.
 * The one estimate every stage uses: the router's prompt size, trimming's budget, the translated
 * answer's usage when a server reports none.
 */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 3.5);
}
