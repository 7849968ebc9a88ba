/** Where the memory budget's sizes come from: a process tree's RSS, the weights on disk, the profile. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { measureProcessTree, parseProcRow, parsePsRows, sumTreeRss } from "../../src/supervisor/memory/measure-process-memory.js";
import { createModelSizes, weightsOnDisk, type ModelSizeDeps } from "../../src/supervisor/memory/model-sizes.js";

const GB = 1024 ** 3;
const KIB = 1024;

describe("process tree memory", () => {
  const rows = parsePsRows(
    ["  1     0     1   100", " 50     1    50  2000", " 51    50    50  3000", " 52    51    52  4000", " 60     1    60  7000", "garbage line", ""].join(
      "\n",
    ),
  );

  it("parses ps rows in KiB", () => {
    expect(rows).toHaveLength(5);
    expect(rows[1]).toEqual({ pid: 50, ppid: 1, pgid: 50, rssBytes: 2000 * KIB });
  });

  it("sums the process, its descendants and its process group", () => {
    expect(sumTreeRss(rows, 50)).toBe((2000 + 3000 + 4000) * KIB);
    expect(sumTreeRss(rows, 60)).toBe(7000 * KIB);
    expect(sumTreeRss(rows, 99)).toBeUndefined();
  });

  it("reads /proc stat and status, whatever the command name holds", () => {
    const stat = "51 (python3 -m mlx_lm) S 50 50 50 0 -1";
    expect(parseProcRow(51, stat, "Name:\tpython3\nVmRSS:\t  123456 kB\n")).toEqual({ pid: 51, ppid: 50, pgid: 50, rssBytes: 123456 * KIB });
    expect(parseProcRow(2, "2 (kthreadd) S 0 0 0", "Name:\tkthreadd\n")?.rssBytes).toBe(0);
  });

  it("measures this test's own process on this machine", async () => {
    const bytes = await measureProcessTree(process.pid);
    expect(bytes).toBeGreaterThan(10 * 1024 * KIB);
  });

  it("on macOS asks ps once; a failing probe is unknown, not zero", async () => {
    const ps = async () => " 70 1 70 1000\n 71 70 70 500\n";
    expect(await measureProcessTree(70, { platform: "darwin", ps, readdir: async () => [], readFile: async () => "" })).toBe(1500 * KIB);
    const broken = async () => {
      throw new Error("ps: not found");
    };
    expect(await measureProcessTree(70, { platform: "darwin", ps: broken, readdir: async () => [], readFile: async () => "" })).toBeUndefined();
  });
});

describe("model sizes", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "mallex-sizes-"));
    dirs.push(dir);
    return dir;
  };

  const fakeDeps = (over: Partial<ModelSizeDeps> = {}): ModelSizeDeps & { saved: Array<Record<string, number>> } => {
    const saved: Array<Record<string, number>> = [];
    return { measure: async () => 20 * GB, weightsBytes: () => undefined, load: () => ({}), save: (sizes) => saved.push({ ...sizes }), saved, ...over };
  };

  it("prefers, in order: measured, weights on disk, min_ram_gb, params_b", async () => {
    const deps = fakeDeps({ weightsBytes: (model) => (model === "on-disk" ? 10 * GB : undefined) });
    const sizes = createModelSizes(deps);
    sizes.register("a", { model: "on-disk", minRamGb: 30 });
    sizes.register("b", { model: "absent", minRamGb: 30, paramsB: 8 });
    sizes.register("c", { model: "absent", paramsB: 8 });
    sizes.register("d", { model: "absent" });
    expect(sizes.of("a")).toEqual({ bytes: 12 * GB, source: "weights on disk" });
    expect(sizes.of("b")).toEqual({ bytes: 30 * GB, source: "min_ram_gb" });
    expect(sizes.of("c")?.source).toBe("params_b");
    expect(sizes.of("c")!.bytes / GB).toBeCloseTo(4.8);
    expect(sizes.of("d")).toBeUndefined();
    expect(await sizes.measure("b", 123)).toBe(20 * GB);
    expect(sizes.of("b")).toEqual({ bytes: 20 * GB, source: "measured" });
    expect(deps.saved).toEqual([{ b: 20 * GB }]);
  });

  it("never counts a measured server below its weights, and remembers earlier sessions' measurements", async () => {
    const sizes = createModelSizes(fakeDeps({ weightsBytes: () => 16 * GB, load: () => ({ a: 9 * GB, junk: -1 }) }));
    sizes.register("a", { model: "moe" });
    expect(sizes.of("a")).toEqual({ bytes: 16 * GB, source: "measured" });
    expect(sizes.of("junk")).toBeUndefined();
  });

  it("reads the weights again while a model downloads, and keeps them once its server was measured", async () => {
    let onDisk = 1 * GB;
    let reads = 0;
    const sizes = createModelSizes(fakeDeps({ measure: async () => 5 * GB, weightsBytes: () => (reads++, onDisk) }));
    sizes.register("a", { model: "org/m" });
    expect(sizes.of("a")!.bytes).toBeCloseTo(1.2 * GB); // a shard so far
    onDisk = 10 * GB; // the download finished
    expect(sizes.of("a")!.bytes).toBeCloseTo(12 * GB);
    await sizes.measure("a", 123);
    const before = reads;
    expect(sizes.of("a")).toEqual({ bytes: 10 * GB, source: "measured" }); // the weights are the floor
    expect(sizes.of("a")).toEqual({ bytes: 10 * GB, source: "measured" });
    expect(reads).toBe(before); // loaded: its weights are known for good
  });

  it("finds a GGUF file, a local folder's weights and an mlx repo's safetensors in the Hugging Face cache", () => {
    const root = tempDir();
    writeFileSync(join(root, "model.gguf"), Buffer.alloc(3000));
    mkdirSync(join(root, "local"));
    writeFileSync(join(root, "local", "a.safetensors"), Buffer.alloc(1000));
    writeFileSync(join(root, "local", "config.json"), "{}");
    const repo = join(root, "hub", "models--mlx-community--Test-4bit");
    mkdirSync(join(repo, "blobs"), { recursive: true });
    mkdirSync(join(repo, "snapshots", "abc"), { recursive: true });
    mkdirSync(join(repo, "refs"));
    writeFileSync(join(repo, "refs", "main"), "abc\n");
    writeFileSync(join(repo, "blobs", "sha1"), Buffer.alloc(5000));
    writeFileSync(join(repo, "blobs", "sha2"), "{}");
    symlinkSync(join(repo, "blobs", "sha1"), join(repo, "snapshots", "abc", "model.safetensors"));
    symlinkSync(join(repo, "blobs", "sha2"), join(repo, "snapshots", "abc", "config.json"));
    const where = { env: { HF_HUB_CACHE: join(root, "hub") }, homedir: root, cwd: root };
    expect(weightsOnDisk("model.gguf", where)).toBe(3000);
    expect(weightsOnDisk("./local", where)).toBe(1000);
    expect(weightsOnDisk("mlx-community/Test-4bit", where)).toBe(5000);
    expect(weightsOnDisk("mlx-community/Absent-4bit", where)).toBeUndefined();
  });
});
