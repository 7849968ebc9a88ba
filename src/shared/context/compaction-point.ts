/**
 * Where Claude Code should compact: at 70% of the trimmed prompt's limit. Its compaction request
 * carries the conversation plus its summary instructions (~1,500 tokens) and must fit too: at 80%, an
 * 8 K context's compaction was refused as too long, then retried shorter.
 */
const COMPACT_AT = 0.7;

/**
 * The trimmed prompt's size at which Claude Code should compact: what `mallex run` tells it
 * (claude-context-env.ts), and what a compaction's summary must leave its next request under
 * (profileForAnswer).
 */
export function compactAt(limit: number): number {
  return Math.floor(limit * COMPACT_AT);
}
