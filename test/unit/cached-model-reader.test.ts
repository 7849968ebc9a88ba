import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createCachedModelReader } from "../../src/models/cached-model-reader.js";
import type { ModelFormat, ModelReading } from "../../src/models/model-entry.js";

/** A reader that counts its reads of each path; each reading names its count. */
function counting() {
  const reads = new Map<string, number>();
  const read = async (path: string, _format: ModelFormat): Promise<ModelReading> => {
    const n = (reads.get(path) ?? 0) + 1;
    reads.set(path, n);
    return { problem: `read ${n}`, sizeBytes: null };
  };
  return { read, reads };
}

describe("createCachedModelReader", () => {
  it("reads a GGUF once while its size and time stay, again when it changes, and once for two askers at a time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mallex-reader-"));
    const file = join(dir, "m.gguf");
    writeFileSync(file, "GGUF1");
    const { read, reads } = counting();
    const reader = createCachedModelReader(read);
    const [a, b] = await Promise.all([reader(file, "gguf"), reader(file, "gguf")]);
    expect([a, b]).toEqual([
      { problem: "read 1", sizeBytes: null },
      { problem: "read 1", sizeBytes: null },
    ]);
    expect(await reader(file, "gguf")).toEqual({ problem: "read 1", sizeBytes: null });
    writeFileSync(file, "GGUF22"); // a file replaced: another size
    expect(await reader(file, "gguf")).toEqual({ problem: "read 2", sizeBytes: null });
    utimesSync(file, new Date(2020, 0, 1), new Date(2020, 0, 1)); // same size, another time
    expect(await reader(file, "gguf")).toEqual({ problem: "read 3", sizeBytes: null });
    expect(reads.get(file)).toBe(3);
  });

  it("reads a split GGUF again when any part changes, and an MLX folder when a file in it does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mallex-reader-"));
    const first = join(dir, "big-00001-of-00002.gguf");
    writeFileSync(first, "GGUF");
    writeFileSync(join(dir, "big-00002-of-00002.gguf"), "x");
    const folder = join(dir, "mlx");
    mkdirSync(folder);
    writeFileSync(join(folder, "config.json"), "{}");
    const { read, reads } = counting();
    const reader = createCachedModelReader(read);
    await reader(first, "gguf");
    await reader(folder, "mlx");
    writeFileSync(join(dir, "big-00002-of-00002.gguf"), "xy");
    writeFileSync(join(folder, "model.safetensors"), "w");
    await reader(first, "gguf");
    await reader(folder, "mlx");
    await reader(folder, "mlx");
    expect([reads.get(first), reads.get(folder)]).toEqual([2, 2]);
  });

  it("reads a path it cannot look at each time (its reading says why), and lets go of models no longer listed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mallex-reader-"));
    const gone = join(dir, "gone.gguf");
    const kept = join(dir, "kept.gguf");
    writeFileSync(kept, "GGUF");
    const { read, reads } = counting();
    const reader = createCachedModelReader(read);
    await reader(gone, "gguf");
    await reader(gone, "gguf");
    await reader(kept, "gguf");
    reader.forgetAllBut([]);
    await reader(kept, "gguf");
    reader.forgetAllBut([kept]);
    await reader(kept, "gguf");
    expect([reads.get(gone), reads.get(kept)]).toEqual([2, 2]);
  });
});
