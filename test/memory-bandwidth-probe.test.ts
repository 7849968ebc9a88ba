import { describe, expect, it } from "vitest";
import { measureMemoryBandwidth } from "../src/setup/measure-memory-bandwidth.js";

/** The real probe `mallex init` runs, small: worker threads reading this machine's memory. */
describe("measureMemoryBandwidth", () => {
  it("reads with the threads asked for and reports a plausible GB/s", async () => {
    const probe = await measureMemoryBandwidth({ threads: 2, readMs: 40, bytesPerThread: 16 * 1024 * 1024 });
    expect(probe).toBeDefined();
    expect(probe!.threads).toBe(2);
    // Any machine that runs these tests reads memory faster than 0.2 GB/s and slower than 10 TB/s.
    expect(probe!.gbps).toBeGreaterThan(0.2);
    expect(probe!.gbps).toBeLessThan(10_000);
    expect(probe!.ms).toBeGreaterThan(40);
  });

  it("gives up within its time limit instead of holding init", async () => {
    // A 512 MiB buffer and a 50 ms limit: the worker cannot even fill it in time, let alone read for 10 s.
    const probe = await measureMemoryBandwidth({ threads: 1, readMs: 10_000, bytesPerThread: 512 * 1024 * 1024, timeoutMs: 50 });
    expect(probe).toBeUndefined();
  });
});
