/** How far a model server is through a prompt: tokens processed of the prompt's uncached ones. */
export interface PrefillProgress {
  done: number;
  total: number;
}

const PROGRESS = /^\s*(?:keepalive|prefill) (\d{1,12})\/(\d{1,12})\s*$/;

/**
 * A model server's progress comment on its SSE stream while it prefills, or undefined: mlx-lm.server
 * writes `: keepalive 2048/18231` after each prefill step (docs/protocol.md), mallex's engine
 * `: prefill 512/1800` every 512 tokens. `comment` is the line after its colon, as the SSE parser gives it.
 */
export function readPrefillProgress(comment: string): PrefillProgress | undefined {
  const match = PROGRESS.exec(comment);
  if (match === null) return undefined;
  const done = Number(match[1]);
  const total = Number(match[2]);
  return total > 0 && done <= total ? { done, total } : undefined;
}
