/**
 * The engine's thread count when none is given: the physical cores but one, at least one. The core
 * left over is the proxy's (it streams every token the engine makes) and the system's: llama.cpp's
 * threads spin while they wait for each other, so one that loses its core to another process stalls
 * every token. Measured on 2 vCPUs with other work running: 2 threads decoded 1–2 tokens/s where 1 thread
 * decoded 74–905; on 16 cores, 16 threads ran 2–5× slower through mallex than called directly, while
 * the tiny models there decoded fastest at 1 thread and prefilled no faster at 16 than at 4. The
 * table is in docs/benchmarks.md.
 */
export function defaultThreads(physicalCores: number): number {
  return Math.max(1, Math.floor(physicalCores) - 1);
}
