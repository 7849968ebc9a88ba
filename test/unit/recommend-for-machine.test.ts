import { describe, expect, it } from "vitest";
import { describeMachine } from "../../src/setup/describe-machine.js";
import type { Hardware } from "../../src/setup/detect-hardware.js";
import { formatDuration, formatModelTable } from "../../src/setup/format-model-table.js";
import type { BandwidthProbe } from "../../src/setup/measure-memory-bandwidth.js";
import { ASSUMED_LINK_MBPS, SLOW_BELOW_TOKENS_PER_SECOND, recommendForMachine } from "../../src/setup/recommend-for-machine.js";
import { listLocalProfiles } from "../../src/setup/recommend-profile.js";
import { compileIn, packageRoot } from "../helpers/config-tree.js";

const all = listLocalProfiles(compileIn(packageRoot).table!);
const gguf = all.filter((p) => p.backend === "embedded");
const mlx = all.filter((p) => p.backend === "mlx");

const linux = (over: Partial<Hardware>): Hardware => ({ platform: "linux", arch: "x64", ramGb: 23.5, appleSilicon: false, ...over });
const probe = (gbps: number, threads: number): BandwidthProbe => ({ gbps, threads, ms: 450 });

function recommend(hardware: Hardware, measured?: BandwidthProbe, profiles = gguf) {
  const machine = describeMachine(hardware, measured);
  const rec = recommendForMachine(profiles, machine, { appleSilicon: hardware.appleSilicon, platform: hardware.platform });
  const speeds = Object.fromEntries(rec.rows.map((row) => [row.profile.name, row.speed ? Number(row.speed.tokensPerSecond.toFixed(1)) : undefined]));
  return { machine, rec, speeds };
}

describe("the shipped GGUF profiles declare the files they download", () => {
  it("sizes as Hugging Face lists the Q4_K_M files, and the MoE's active parameters", () => {
    expect(gguf.map((p) => [p.name, p.downloadGb, p.activeParamsB])).toEqual([
      ["gguf-qwen2.5-coder-1.5b", 0.99, undefined],
      ["gguf-qwen2.5-coder-7b", 4.68, undefined],
      ["gguf-qwen2.5-coder-14b", 8.99, undefined],
      ["gguf-qwen3-coder-30b", 18.6, 3.3],
    ]);
  });
});

describe("recommendForMachine", () => {
  it("2 cores, 23.5 GB, no GPU (the 14B fits, at about half a token a second): the fastest that fits, with a warning", () => {
    const { rec, speeds } = recommend(linux({ cpuCores: 2 }), probe(7.4, 1));
    // RAM alone picked the 14B (issue 38): ~0.5 tokens/s on one engine thread.
    expect(rec.steppedDownFrom?.name).toBe("gguf-qwen2.5-coder-14b");
    expect(rec.profile.name).toBe("gguf-qwen2.5-coder-1.5b");
    expect(speeds).toEqual({ "gguf-qwen2.5-coder-1.5b": 4.5, "gguf-qwen2.5-coder-7b": 0.9, "gguf-qwen2.5-coder-14b": 0.5, "gguf-qwen3-coder-30b": 2.2 });
    expect(rec.rows.map((row) => row.fits)).toEqual([true, true, true, false]);
    expect(rec.reason).toBe(
      "24 GB RAM holds gguf-qwen2.5-coder-14b, but at ~0.5 tokens/s here → gguf-qwen2.5-coder-1.5b (needs 4 GB, ~4.5 tokens/s here: the fastest that fits)",
    );
    expect(rec.warnings).toEqual([expect.stringMatching(/^no local profile decodes 8 tokens\/s here; gguf-qwen2\.5-coder-1\.5b is the fastest that fits/)]);
  });

  it("8 cores, 32 GB, no GPU, nothing measured: the core estimate puts the 3B-active MoE past 8 tokens/s, so the largest stays", () => {
    const { machine, rec, speeds } = recommend(linux({ cpuCores: 8, ramGb: 31.3 }));
    expect(machine.cpuBandwidth).toEqual({ gbps: 60, source: "estimated", threads: 8 });
    expect(rec.profile.name).toBe("gguf-qwen3-coder-30b");
    expect(rec.steppedDownFrom).toBeUndefined();
    expect(speeds["gguf-qwen3-coder-30b"]).toBe(17.6);
    expect(rec.reason).toBe("31 GB RAM → gguf-qwen3-coder-30b (needs 32 GB, ~18 tokens/s here)");
    expect(rec.warnings).toEqual([]);
  });

  it("8 cores, 32 GB, measured slow (20 GB/s): below 8 the largest steps down to the largest that is fast enough", () => {
    const { rec, speeds } = recommend(linux({ cpuCores: 8, ramGb: 31.3 }), probe(20, 7));
    expect(speeds["gguf-qwen3-coder-30b"]).toBeLessThan(SLOW_BELOW_TOKENS_PER_SECOND);
    expect(speeds["gguf-qwen2.5-coder-7b"]).toBeLessThan(SLOW_BELOW_TOKENS_PER_SECOND);
    expect(speeds["gguf-qwen2.5-coder-1.5b"]).toBe(12.1);
    expect(rec.profile.name).toBe("gguf-qwen2.5-coder-1.5b");
    expect(rec.reason).toMatch(
      /^31 GB RAM holds gguf-qwen3-coder-30b, but at ~5\.9 tokens\/s here → gguf-qwen2\.5-coder-1\.5b \(needs 4 GB, ~12 tokens\/s here: the largest that decodes 8\+\)$/,
    );
    expect(rec.warnings).toEqual([]);
  });

  it("Apple M1, 16 GB, the embedded engine: the 14B at ~5 tokens/s gives way to the 7B at ~10", () => {
    const { rec, speeds } = recommend({ platform: "darwin", arch: "arm64", ramGb: 16, cpuCores: 8, chip: "Apple M1", appleSilicon: true });
    expect(speeds["gguf-qwen2.5-coder-14b"]).toBe(5.3);
    expect(speeds["gguf-qwen2.5-coder-7b"]).toBe(10.2);
    expect(rec.profile.name).toBe("gguf-qwen2.5-coder-7b");
    expect(rec.steppedDownFrom?.name).toBe("gguf-qwen2.5-coder-14b");
  });

  it("Apple M3 Pro, 36 GB: the MoE at ~50 tokens/s; mlx-lm profiles without a declared size keep the RAM's choice", () => {
    const mac: Hardware = { platform: "darwin", arch: "arm64", ramGb: 36, cpuCores: 11, chip: "Apple M3 Pro", appleSilicon: true };
    const embedded = recommend(mac);
    expect(embedded.rec.profile.name).toBe("gguf-qwen3-coder-30b");
    expect(embedded.speeds["gguf-qwen3-coder-30b"]).toBe(51.3);
    const viaMlx = recommend(mac, undefined, mlx);
    expect(viaMlx.rec.profile.name).toBe("qwen3-coder-30b");
    expect(viaMlx.rec.reason).toBe("36 GB RAM → qwen3-coder-30b (needs 32 GB; qwen3-coder-30b-8bit needs 48 GB)");
    expect(viaMlx.speeds["qwen2.5-coder-14b"]).toBe(12.6);
    expect(viaMlx.speeds["qwen3-coder-30b"]).toBeUndefined();
  });

  it("a CUDA box (RTX 4090, 64 GB): every model on the GPU, the largest recommended", () => {
    const { rec, speeds } = recommend(linux({ cpuCores: 16, ramGb: 62.7, gpu: "NVIDIA GeForce RTX 4090", gpuMemoryGb: 24 }), probe(40, 15));
    expect(rec.rows.every((row) => row.speed?.on === "gpu")).toBe(true);
    expect(rec.profile.name).toBe("gguf-qwen3-coder-30b");
    expect(speeds["gguf-qwen3-coder-30b"]).toBe(344.9);
  });

  it("a small CUDA board (RTX 3060, 12 GB): the MoE split between GPU and CPU still passes 8 tokens/s", () => {
    const { rec } = recommend(linux({ cpuCores: 6, ramGb: 31.3, gpu: "NVIDIA GeForce RTX 3060", gpuMemoryGb: 12 }), probe(20, 5));
    const moe = rec.rows.find((row) => row.profile.name === "gguf-qwen3-coder-30b")!;
    expect(moe.speed?.on).toBe("gpu+cpu");
    expect(moe.speed!.tokensPerSecond).toBeGreaterThan(SLOW_BELOW_TOKENS_PER_SECOND);
    expect(rec.profile.name).toBe("gguf-qwen3-coder-30b");
  });

  it("a GPU whose bandwidth is unknown: no speeds, the RAM's choice as before", () => {
    const { rec, speeds } = recommend(linux({ cpuCores: 4, gpu: "NVIDIA Quadro P2000", gpuMemoryGb: 5 }), probe(15, 3));
    expect(Object.values(speeds).every((s) => s === undefined)).toBe(true);
    expect(rec.profile.name).toBe("gguf-qwen2.5-coder-14b");
    expect(rec.reason).toBe("24 GB RAM → gguf-qwen2.5-coder-14b (needs 16 GB; gguf-qwen3-coder-30b needs 32 GB)");
  });

  it("below every profile's need: the smallest, with the RAM warning, whatever its speed", () => {
    const { rec } = recommend(linux({ cpuCores: 2, ramGb: 2 }), probe(7, 1));
    expect(rec.profile.name).toBe("gguf-qwen2.5-coder-1.5b");
    expect(rec.warnings).toEqual([expect.stringMatching(/is below what gguf-qwen2\.5-coder-1\.5b needs/)]);
  });

  it("download times are for the assumed link", () => {
    const { rec } = recommend(linux({ cpuCores: 2 }), probe(7.4, 1));
    expect(rec.rows.map((row) => formatDuration(row.downloadSeconds!))).toEqual(["~1 min", "~6 min", "~12 min", "~25 min"]);
    expect(ASSUMED_LINK_MBPS).toBe(100);
  });
});

describe("formatModelTable", () => {
  it("one line a profile, the recommended one ticked, then what the numbers rest on", () => {
    const { machine, rec } = recommend(linux({ cpuCores: 2 }), probe(7.4, 1));
    const lines = formatModelTable({ rows: rec.rows, recommended: rec.profile.name, machine, linkMbps: 100, probeMs: 450 });
    expect(lines).toEqual([
      "model                     download   at 100 Mbit/s   tokens/s   fits in RAM   recommended",
      "gguf-qwen2.5-coder-1.5b   0.99 GB    ~1 min          ~4.5       yes (4 GB)    ✓",
      "gguf-qwen2.5-coder-7b     4.68 GB    ~6 min          ~0.9       yes (8 GB)",
      "gguf-qwen2.5-coder-14b    8.99 GB    ~12 min         ~0.5       yes (16 GB)",
      "gguf-qwen3-coder-30b      18.6 GB    ~25 min         ~2.2       no (32 GB)",
      "tokens/s: estimated, 60% of the 7.4 GB/s this machine read from memory just now on 1 thread (the engine's; 0.5 s probe) ÷ the GB each token reads (the whole file; a mixture of experts, its active share).",
    ]);
  });

  it("says which figures are published or estimated, a GPU split, and what is unknown", () => {
    const cuda = recommend(linux({ cpuCores: 6, ramGb: 31.3, gpu: "NVIDIA GeForce RTX 3060", gpuMemoryGb: 12 }));
    const lines = formatModelTable({ rows: cuda.rec.rows, recommended: cuda.rec.profile.name, machine: cuda.machine, linkMbps: 100 });
    expect(lines.find((l) => l.startsWith("gguf-qwen2.5-coder-14b"))).toMatch(/ ~28 +yes/);
    expect(lines.find((l) => l.startsWith("gguf-qwen3-coder-30b"))).toMatch(/ ~\d+ \(56% on GPU\) +yes \(32 GB\) +✓$/);
    expect(lines.at(-1)).toBe(
      "tokens/s: estimated, 70% of the NVIDIA GeForce RTX 3060's published 360 GB/s (not measured) ÷ the GB each token reads (the whole file; a mixture of experts, its active share); what does not fit in its 12 GB runs on the CPU at 60% of ~48 GB/s for 6 threads (estimated from the core count, not measured).",
    );
    const mac = recommend({ platform: "darwin", arch: "arm64", ramGb: 64, cpuCores: 12, chip: "Apple M4 Max", appleSilicon: true }, undefined, mlx);
    const macLines = formatModelTable({ rows: mac.rec.rows, recommended: mac.rec.profile.name, machine: mac.machine, linkMbps: 100 });
    expect(macLines.find((l) => l.startsWith("qwen3-coder-next "))).toMatch(/^qwen3-coder-next +\? +\? +\? +yes \(64 GB\) +✓$/);
    expect(macLines.at(-1)).toBe("?: the profile declares no download_gb, so neither its download nor its speed is known.");
  });
});

describe("recommendForMachine's warnings follow the profile it picks", () => {
  it("mlx-lm profiles on an Intel Mac, stepped down for speed: the warning names the smaller model", () => {
    const intelMac: Hardware = { platform: "darwin", arch: "x64", ramGb: 16, cpuCores: 6, chip: "Intel(R) Core(TM) i7-9750H", appleSilicon: false };
    const { rec } = recommend(intelMac, probe(60, 5), mlx);
    expect(rec.steppedDownFrom?.name).toBe("qwen2.5-coder-14b");
    expect(rec.profile.name).toBe("qwen2.5-coder-7b");
    expect(rec.warnings).toEqual([
      expect.stringContaining("serve a GGUF build of the same model (Qwen2.5-Coder 7B Instruct, 4-bit — the smallest model that still calls tools reliably)"),
    ]);
  });
});
