import type { MachineDescription } from "./describe-machine.js";

/**
 * Share of the CPU bandwidth probe (measure-memory-bandwidth.ts) that llama.cpp's decoding reaches,
 * measured on two machines, Qwen2.5-Coder-1.5B Q4_K_M (1.12 GB) on the engine's threads:
 * - a 2-vCPU Xeon, with another test run loading it: its fastest 8-token stretches at 0.54–0.78 of the
 *   GB/s the probe read just before on one thread (median about 0.67; the 0.5B at 0.45–0.6: a small
 *   model spends more of each token on work other than reading its weights); quiet, on two threads,
 *   11.6 tokens/s beside Claude Code against 19.5–20.3 GB/s: 0.66;
 * - a 2-vCPU AMD EPYC (Zen 5), quiet, 256-token answers: 23.4 tokens/s on one thread against 40–44
 *   GB/s (0.62), 25.5 on two against 50–54 (0.55): two threads there share one memory path.
 * Other CPUs may differ; the table says the figure is an estimate.
 */
export const CPU_EFFICIENCY = 0.6;
/** Share of a GPU's (or Apple chip's) published bandwidth a decoding llama.cpp or mlx-lm reaches: the commonly seen 60–80%, not measured here. */
export const GPU_EFFICIENCY = 0.7;
/** A discrete GPU's memory kept for the context, the KV cache and the runtime: the weights get the rest. */
export const GPU_RESERVED_GB = 1.5;

/** The weights a model reads: all of them to place, `readGb` of them for every generated token. */
export interface ModelWeights {
  totalGb: number;
  readGb: number;
}

/** What a profile declares about its size (see LocalProfile). */
export interface DeclaredSize {
  downloadGb?: number;
  paramsB?: number;
  activeParamsB?: number;
}

export interface DecodeEstimate {
  tokensPerSecond: number;
  /** Where the weights sit: all on the GPU (Apple's included), all on the CPU, or split (the GPU's share of them). */
  on: "gpu" | "cpu" | "gpu+cpu";
  gpuShare?: number;
}

/**
 * A profile's weights from its declared download: a dense model reads all of them per token, a
 * mixture of experts its active share (download × active_params_b / params_b: the router, the
 * attention and the embeddings are counted in the active parameters). Undefined without download_gb.
 */
export function weightsOf(size: DeclaredSize): ModelWeights | undefined {
  if (size.downloadGb === undefined || !(size.downloadGb > 0)) return undefined;
  const share = size.activeParamsB !== undefined && size.paramsB !== undefined && size.paramsB > 0 ? Math.min(1, size.activeParamsB / size.paramsB) : 1;
  return { totalGb: size.downloadGb, readGb: size.downloadGb * share };
}

/**
 * Tokens/s while decoding: memory-bandwidth bound, every token reads the weights once, so about the
 * effective bandwidth divided by the GB read per token (prefill is compute bound, not estimated here).
 * - Apple Silicon: the chip's bandwidth (unified memory: the GPU reads all of it).
 * - A discrete GPU: its bandwidth while the weights fit in its memory; past that, the layers that do
 *   not fit run on the CPU, and a token takes the GPU's part plus the CPU's part.
 * - No GPU: the CPU bandwidth of the engine's threads.
 * Undefined when the deciding figure is unknown (a GPU not in the table, a CPU never measured and of
 * unknown cores): never a guess dressed as a number. Pure.
 */
export function estimateDecodeSpeed(machine: MachineDescription, weights: ModelWeights): DecodeEstimate | undefined {
  if (!(weights.readGb > 0)) return undefined;
  const cpu = machine.cpuBandwidth ? machine.cpuBandwidth.gbps * CPU_EFFICIENCY : undefined;
  const gpu = machine.gpu;
  if (gpu) {
    if (!gpu.bandwidth) {
      // Apple's unified memory without a known chip: the CPU's measured figure is a floor.
      if (gpu.unifiedMemory && cpu !== undefined) return { tokensPerSecond: cpu / weights.readGb, on: "cpu" };
      return undefined;
    }
    const rate = gpu.bandwidth.gbps * GPU_EFFICIENCY;
    const room = gpu.unifiedMemory || gpu.memoryGb === undefined ? Infinity : Math.max(0, gpu.memoryGb - GPU_RESERVED_GB);
    const share = Math.min(1, room / weights.totalGb);
    if (share >= 1) return { tokensPerSecond: rate / weights.readGb, on: "gpu" };
    if (cpu === undefined) return undefined;
    if (share <= 0) return { tokensPerSecond: cpu / weights.readGb, on: "cpu" };
    const seconds = (weights.readGb * share) / rate + (weights.readGb * (1 - share)) / cpu;
    return { tokensPerSecond: 1 / seconds, on: "gpu+cpu", gpuShare: share };
  }
  if (cpu === undefined) return undefined;
  return { tokensPerSecond: cpu / weights.readGb, on: "cpu" };
}

/** Seconds to download this many GB at this many Mbit/s. */
export function downloadSeconds(gb: number, linkMbps: number): number {
  return (gb * 8000) / linkMbps;
}
