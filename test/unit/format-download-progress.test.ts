import { describe, expect, it } from "vitest";
import { createDownloadProgress, formatBytes, formatProgressLine } from "../../src/engine/format-download-progress.js";
import { classifyServerLine, createProgressFilter } from "../../src/supervisor/classify-server-output.js";

const GB = 1_000_000_000;

describe("formatProgressLine", () => {
  it("writes a tqdm-style line with sizes, elapsed time, ETA and speed", () => {
    expect(formatProgressLine({ label: "hf:u/r/x.gguf", done: 512_000_000, total: 1.22 * GB, elapsedMs: 5_000, received: 512_000_000 })).toBe(
      "hf:u/r/x.gguf:  41%|████      | 512MB/1.22GB [00:05<00:07, 102MB/s]",
    );
    expect(formatProgressLine({ label: "x", done: 0, total: 4.92 * GB, elapsedMs: 0, received: 0 })).toBe("x:   0%|          | 0B/4.92GB [00:00<?, ?B/s]");
    expect(formatProgressLine({ label: "x", done: 3_600_000_000, total: 3_600_000_000, elapsedMs: 3_725_000, received: 1_800_000_000 })).toMatch(
      /^x: 100%\|██████████\| 3\.60GB\/3\.60GB \[1:02:05<00:00, 483kB\/s\]$/,
    );
  });

  it("is a line the supervisor shows as download progress, named and with its percent", () => {
    const line = formatProgressLine({ label: "hf:bartowski/Qwen3-GGUF:Q4_K_M", done: 2.23 * GB, total: 5.3 * GB, elapsedMs: 2_000, received: 2.23 * GB });
    expect(classifyServerLine(line)).toEqual({ kind: "download", label: "hf:bartowski/Qwen3-GGUF:Q4_K_M", percent: 42, detail: "2.23GB/5.30GB" });
    expect(createProgressFilter("qwen")(classifyServerLine(line)!)).toEqual({
      message: "downloading hf:bartowski/Qwen3-GGUF:Q4_K_M: 2.23GB/5.30GB",
      percent: 42,
    });
  });

  it("formats sizes in decimal units without spaces", () => {
    expect([0, 999, 1_000, 1_185_376, 12_400_000, 512_000_000, 4.92 * GB, 1.5e12].map(formatBytes)).toEqual([
      "0B",
      "999B",
      "1.00kB",
      "1.19MB",
      "12.4MB",
      "512MB",
      "4.92GB",
      "1.50TB",
    ]);
  });
});

describe("createDownloadProgress", () => {
  function run(steps: Array<[atMs: number, done: number]>, total: number | undefined): number[] {
    const lines: string[] = [];
    let now = 0;
    const progress = createDownloadProgress(
      "x",
      (line) => lines.push(line),
      () => now,
    );
    for (const [at, done] of steps) {
      now = at;
      progress(done, total);
    }
    return lines.map((line) => Number(/(\d+)%/.exec(line)![1]));
  }

  it("writes the first line, then every 5 points, and 100% once", () => {
    const fast = Array.from({ length: 101 }, (_, i) => [i, i * 10] as [number, number]);
    expect(run([...fast, [101, 1000]], 1000)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100]);
  });

  it("on a slow download, writes a line a second when the percent moved at all", () => {
    expect(
      run(
        [
          [0, 0],
          [500, 10],
          [1_000, 12],
          [1_500, 19],
          [2_100, 25],
          [2_200, 29],
          [9_000, 29],
        ],
        1000,
      ),
    ).toEqual([0, 1, 2]);
  });

  it("starts at what a resume already has, and writes nothing without a size", () => {
    expect(
      run(
        [
          [0, 600],
          [10, 700],
          [20, 1000],
        ],
        1000,
      ),
    ).toEqual([60, 70, 100]);
    expect(
      run(
        [
          [0, 0],
          [5_000, 500],
        ],
        undefined,
      ),
    ).toEqual([]);
  });
});
