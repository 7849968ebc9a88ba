/**
 * A model this small (its GGUF, in bytes) decodes fastest on one thread. A second thread costs each
 * token 8–11 ms of llama.cpp's threads waiting on each other (measured on 2 vCPUs: the 1.5B coder 156
 * → 86 ms a token, a 1,024-wide 4-layer shape 7.6 → 14.7 ms), and halves the rest: worth it only for a
 * token that takes over ~20 ms on one thread, which at the ~7 GB/s one thread read there is ~150 MB of
 * weights. SmolLM2-135M (98 MB) and the 1–2 MB test models fall under it.
 */
export const ONE_THREAD_MODEL_BYTES = 150_000_000;

/**
 * The engine's thread count when none is given: every physical core, as llama.cpp itself defaults,
 * but one thread for a model under ONE_THREAD_MODEL_BYTES (`modelBytes` unknown: a model larger).
 * Measured with the real Claude Code beside the engine (`npm run bench:threads-beside-claude-code`,
 * docs/benchmarks.md): on 2 vCPUs the kit's 1.5B coder prefilled at 135 tok/s and decoded at 11.6 on
 * 2 threads against 74 and 6.4 on one, its tasks done in 28 s against 47 — Claude Code waits while
 * the model works, and the proxy's share of a core is small. Any thread count collapses where other
 * work holds the cores (2 threads beside 2 busy loops: 8 tok/s): `--threads` is the answer there.
 */
export function defaultThreads(physicalCores: number, modelBytes?: number): number {
  if (modelBytes !== undefined && modelBytes < ONE_THREAD_MODEL_BYTES) return 1;
  return Math.max(1, Math.floor(physicalCores));
}
