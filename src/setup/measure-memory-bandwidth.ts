import { Worker } from "node:worker_threads";
import { concurrentReadRate, type ReaderPasses } from "./concurrent-read-rate.js";

/** The read is judged by its fastest fifth: slices long enough to hold whole passes on a slow machine. */
const SLICES = 5;

/** What the probe read: GB/s (10^9 bytes) over all its threads together, the threads, how long it took. */
export interface BandwidthProbe {
  gbps: number;
  threads: number;
  /** Wall time of the whole probe, start-up included. */
  ms: number;
}

export interface MeasureBandwidthOptions {
  /** Reader threads, one worker each: the engine's thread count, so the probe reads as the engine would. */
  threads: number;
  /** How long every thread reads, once all are ready (default 250 ms). */
  readMs?: number;
  /** Bytes each thread reads over and over (default 128 MiB, 1 GiB over all threads at most). */
  bytesPerThread?: number;
  /** Give up after this long (default 5 s): a probe is never worth a stuck `mallex init`. */
  timeoutMs?: number;
}

/**
 * Each worker fills its buffer (faulting the pages in), reads it once, waits for the others on a
 * shared flag, then searches it for a byte it does not hold, over and over for `readMs`, noting when
 * each pass ends on the process's monotonic clock: Buffer#indexOf of a number is memchr, which
 * streams the memory at about the rate one core can read it. The main thread takes the fastest slice
 * of time in which every thread was reading (concurrent-read-rate.ts): another process taking a core
 * for a while slows a slice, never speeds one up. Evaluated code, not a file: the CLI is bundled, and
 * a worker's file would not follow it.
 */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { bytes, readMs, flag, base } = workerData;
const clock = () => Number(process.hrtime.bigint() - base) / 1e6;
const buf = Buffer.alloc(bytes, 1);
if (buf.indexOf(7) !== -1) throw new Error("probe buffer");
const go = new Int32Array(flag);
parentPort.postMessage({ ready: true });
Atomics.wait(go, 0, 0);
const ends = [];
const start = clock();
let now = start;
while (now - start < readMs) {
  if (buf.indexOf(7) !== -1) throw new Error("probe buffer");
  now = clock();
  ends.push(now);
}
parentPort.postMessage({ passes: { bytesPerPass: bytes, start, ends } });
`;

/**
 * Main-memory read bandwidth as `threads` CPU threads see it at once: about half a second of this
 * machine's time at `mallex init`. Undefined when it cannot tell (no workers, a timeout, a failure):
 * the caller then estimates from the core count, and says so.
 */
export async function measureMemoryBandwidth(options: MeasureBandwidthOptions): Promise<BandwidthProbe | undefined> {
  const threads = Math.max(1, Math.min(16, Math.floor(options.threads)));
  const readMs = options.readMs ?? 250;
  // 128 MiB a thread (past any CPU cache's share of a core), 1 GiB in all at most.
  const bytes = options.bytesPerThread ?? Math.max(32, Math.min(128, Math.floor(1024 / threads))) * 1024 * 1024;
  const flag = new SharedArrayBuffer(4);
  const go = new Int32Array(flag);
  const base = process.hrtime.bigint();
  const started = performance.now();
  const workers: Worker[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    const readers = await new Promise<ReaderPasses[]>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error("timed out")), options.timeoutMs ?? 5000);
      const results: ReaderPasses[] = [];
      let ready = 0;
      for (let i = 0; i < threads; i++) {
        const worker = new Worker(WORKER, { eval: true, workerData: { bytes, readMs, flag, base } });
        workers.push(worker);
        worker.on("error", reject);
        worker.on("exit", (code) => {
          if (code !== 0) reject(new Error(`probe thread exited with ${code}`));
        });
        worker.on("message", (message: { ready?: boolean; passes?: ReaderPasses }) => {
          if (message.ready && ++ready === threads) {
            Atomics.store(go, 0, 1);
            Atomics.notify(go, 0);
          }
          if (message.passes) {
            results.push(message.passes);
            if (results.length === threads) resolve(results);
          }
        });
      }
    });
    const gbps = concurrentReadRate(readers, readMs / SLICES);
    if (gbps === undefined || !Number.isFinite(gbps) || gbps <= 0) return undefined;
    return { gbps, threads, ms: performance.now() - started };
  } catch {
    return undefined;
  } finally {
    if (timer) clearTimeout(timer);
    // A worker still waiting on the flag (another failed) is released, then ended.
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    await Promise.all(workers.map((worker) => worker.terminate().catch(() => undefined)));
  }
}
