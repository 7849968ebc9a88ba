import { describe, expect, it } from "vitest";
import { describeMachine, type MachineDescription } from "../../src/setup/describe-machine.js";
import type { Hardware } from "../../src/setup/detect-hardware.js";
import { CPU_EFFICIENCY, GPU_EFFICIENCY, GPU_RESERVED_GB, downloadSeconds, estimateDecodeSpeed, weightsOf } from "../../src/setup/estimate-decode-speed.js";
import { appleChipBandwidth, nvidiaGpuBandwidth } from "../../src/setup/known-bandwidth.js";

const linux: Hardware = { platform: "linux", arch: "x64", ramGb: 23.5, cpuCores: 2, appleSilicon: false };

describe("weightsOf", () => {
  it("a dense model reads its whole file per token; a mixture of experts its active share", () => {
    expect(weightsOf({ downloadGb: 8.99, paramsB: 14 })).toEqual({ totalGb: 8.99, readGb: 8.99 });
    const moe = weightsOf({ downloadGb: 18.6, paramsB: 30, activeParamsB: 3.3 })!;
    expect(moe.totalGb).toBe(18.6);
    expect(moe.readGb).toBeCloseTo(2.046, 3);
  });

  it("no download_gb, no weights", () => {
    expect(weightsOf({ paramsB: 30 })).toBeUndefined();
  });
});

describe("estimateDecodeSpeed", () => {
  const cpuOnly: MachineDescription = { cores: 2, ramGb: 23.5, cpuBandwidth: { gbps: 8, source: "measured", threads: 1 } };

  it("on the CPU: the efficiency share of the bandwidth ÷ the GB read per token", () => {
    const speed = estimateDecodeSpeed(cpuOnly, { totalGb: 4.68, readGb: 4.68 })!;
    expect(speed.on).toBe("cpu");
    expect(speed.tokensPerSecond).toBeCloseTo((8 * CPU_EFFICIENCY) / 4.68, 6);
  });

  it("on Apple Silicon: the chip's published bandwidth, whatever the CPU read", () => {
    const mac = describeMachine(
      { platform: "darwin", arch: "arm64", ramGb: 16, cpuCores: 8, chip: "Apple M1", appleSilicon: true },
      { gbps: 50, threads: 7, ms: 400 },
    );
    const speed = estimateDecodeSpeed(mac, { totalGb: 4.68, readGb: 4.68 })!;
    expect(speed).toEqual({ tokensPerSecond: (68 * GPU_EFFICIENCY) / 4.68, on: "gpu" });
  });

  it("an Apple chip not in the table: the CPU's measured figure as a floor", () => {
    const mac = describeMachine(
      { platform: "darwin", arch: "arm64", ramGb: 16, cpuCores: 10, chip: "Apple M9", appleSilicon: true },
      { gbps: 60, threads: 9, ms: 400 },
    );
    expect(estimateDecodeSpeed(mac, { totalGb: 6, readGb: 6 })).toEqual({ tokensPerSecond: (60 * CPU_EFFICIENCY) / 6, on: "cpu" });
  });

  it("a CUDA board that holds the weights: its bandwidth alone", () => {
    const box = describeMachine({ ...linux, cpuCores: 16, ramGb: 62.7, gpu: "NVIDIA GeForce RTX 4090", gpuMemoryGb: 24 }, { gbps: 40, threads: 15, ms: 500 });
    expect(estimateDecodeSpeed(box, { totalGb: 18.6, readGb: 2 })).toEqual({ tokensPerSecond: (1008 * GPU_EFFICIENCY) / 2, on: "gpu" });
  });

  it("a CUDA board too small for the weights: its share on the GPU, the rest at the CPU's pace", () => {
    const box = describeMachine({ ...linux, cpuCores: 6, ramGb: 31.3, gpu: "NVIDIA GeForce RTX 3060", gpuMemoryGb: 12 }, { gbps: 20, threads: 5, ms: 500 });
    const speed = estimateDecodeSpeed(box, { totalGb: 14, readGb: 14 })!;
    const share = (12 - GPU_RESERVED_GB) / 14;
    expect(speed.on).toBe("gpu+cpu");
    expect(speed.gpuShare).toBeCloseTo(share, 6);
    const seconds = (14 * share) / (360 * GPU_EFFICIENCY) + (14 * (1 - share)) / (20 * CPU_EFFICIENCY);
    expect(speed.tokensPerSecond).toBeCloseTo(1 / seconds, 6);
    // Slower than all on the GPU, faster than all on the CPU.
    expect(speed.tokensPerSecond).toBeLessThan((360 * GPU_EFFICIENCY) / 14);
    expect(speed.tokensPerSecond).toBeGreaterThan((20 * CPU_EFFICIENCY) / 14);
  });

  it("unknown deciding figures give no number, never a guess", () => {
    const unknownGpu = describeMachine({ ...linux, gpu: "NVIDIA Quadro P2000", gpuMemoryGb: 5 }, { gbps: 8, threads: 1, ms: 300 });
    expect(unknownGpu.gpu?.bandwidth).toBeUndefined();
    expect(estimateDecodeSpeed(unknownGpu, { totalGb: 4.68, readGb: 4.68 })).toBeUndefined();
    // No probe and no core count: nothing to go on.
    const blind = describeMachine({ platform: "linux", arch: "x64", ramGb: 23.5, appleSilicon: false });
    expect(blind.cpuBandwidth).toBeUndefined();
    expect(estimateDecodeSpeed(blind, { totalGb: 4.68, readGb: 4.68 })).toBeUndefined();
  });
});

describe("describeMachine", () => {
  it("a measured probe is said as measured; without one, the cores give an estimate for the engine's threads", () => {
    expect(describeMachine(linux, { gbps: 7.4, threads: 1, ms: 450 }).cpuBandwidth).toEqual({ gbps: 7.4, source: "measured", threads: 1 });
    expect(describeMachine(linux).cpuBandwidth).toEqual({ gbps: 16, source: "estimated", threads: 2 });
    expect(describeMachine({ ...linux, cpuCores: 8 }).cpuBandwidth).toEqual({ gbps: 60, source: "estimated", threads: 8 });
    expect(describeMachine({ ...linux, cpuCores: 64 }).cpuBandwidth).toEqual({ gbps: 60, source: "estimated", threads: 64 });
  });
});

describe("published bandwidths", () => {
  it.each([
    ["Apple M1", 68],
    ["Apple M1 Max", 400],
    ["Apple M2 Ultra", 800],
    ["Apple M3 Pro", 150],
    ["Apple M4 Max", 410],
    ["Apple M9", undefined],
    ["Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz", undefined],
  ])("%s → %s GB/s", (chip, gbps) => {
    expect(appleChipBandwidth(chip)).toBe(gbps);
  });

  it.each([
    ["NVIDIA GeForce RTX 4090", 1008],
    ["NVIDIA GeForce RTX 4070 Ti", 504],
    ["NVIDIA GeForce RTX 4060 Ti", 288],
    ["NVIDIA H100 80GB HBM3", 3350],
    ["NVIDIA H100 PCIe", 2000],
    ["NVIDIA A100-SXM4-80GB", 1935],
    ["NVIDIA A100-SXM4-40GB", 1555],
    ["NVIDIA A10G", 600],
    ["NVIDIA L4", 300],
    ["NVIDIA L40S", 864],
    ["Tesla T4", 320],
    ["NVIDIA Quadro P2000", undefined],
  ])("%s → %s GB/s", (name, gbps) => {
    expect(nvidiaGpuBandwidth(name)).toBe(gbps);
  });
});

describe("downloadSeconds", () => {
  it("GB at Mbit/s", () => {
    expect(downloadSeconds(8.99, 100)).toBeCloseTo(719.2, 6);
    expect(downloadSeconds(1, 1000)).toBe(8);
  });
});
