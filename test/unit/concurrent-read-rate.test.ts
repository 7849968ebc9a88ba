import { describe, expect, it } from "vitest";
import { concurrentReadRate } from "../../src/setup/concurrent-read-rate.js";

const GB = 1e9;

/** A thread reading `gbPerPass` per pass, its passes ending at these times (ms). */
const reader = (start: number, ends: number[], gbPerPass = 0.1) => ({ bytesPerPass: gbPerPass * GB, start, ends });
const evenly = (from: number, to: number, passMs: number) => Array.from({ length: Math.round((to - from) / passMs) }, (_, i) => from + (i + 1) * passMs);

describe("concurrentReadRate", () => {
  it("is the rate of all threads together where they read at once, not the sum of each thread's fastest pass", () => {
    // Alone, a thread reads 0.1 GB in 2.5 ms (40 GB/s); beside the other, in 4 ms (25 GB/s each, 50 together).
    // Thread b woke 20 ms late: thread a read alone first, and b read alone after a ended.
    const a = reader(0, [...evenly(0, 20, 2.5), ...evenly(20, 220, 4)]);
    const b = reader(20, [...evenly(20, 220, 4), ...evenly(220, 240, 2.5)]);
    // Each thread's fastest pass summed: 80 GB/s, a rate the two never read at.
    const rate = concurrentReadRate([a, b], 40)!;
    expect(rate).toBeCloseTo(50, 6);
  });

  it("takes the fastest slice: another process taking a core slows a slice, never speeds one up", () => {
    // Thread b lost its core for 50 ms (one pass of 54 ms instead of 4).
    const a = reader(0, evenly(0, 200, 4));
    const b = reader(0, [...evenly(0, 100, 4), 154, ...evenly(154, 202, 4)]);
    expect(concurrentReadRate([a, b], 40)).toBeCloseTo(50, 6);
  });

  it("counts a pass that spans a slice's edge by its share, so a slow machine's long passes still measure", () => {
    // 0.1 GB per 150-ms pass, 40-ms slices: every slice lies inside one pass.
    expect(concurrentReadRate([reader(0, [150, 300, 450])], 40)).toBeCloseTo(0.1 / 0.15, 6);
  });

  it("is undefined when the threads never read at the same time, or one never finished a pass", () => {
    expect(concurrentReadRate([reader(0, [10, 20]), reader(20, [30])], 5)).toBeUndefined();
    expect(concurrentReadRate([reader(0, [10]), reader(0, [])], 5)).toBeUndefined();
    expect(concurrentReadRate([], 5)).toBeUndefined();
  });
});
