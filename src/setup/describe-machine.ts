import { defaultThreads } from "../shared/default-threads.js";
import type { Hardware } from "./detect-hardware.js";
import { appleChipBandwidth, nvidiaGpuBandwidth } from "./known-bandwidth.js";
import type { BandwidthProbe } from "./measure-memory-bandwidth.js";

/** measured: read on this machine now; published: the chip maker's figure; estimated: from the core count. */
export type BandwidthSource = "measured" | "published" | "estimated";

export interface Bandwidth {
  /** GB/s, 10^9 bytes. */
  gbps: number;
  source: BandwidthSource;
  /** For measured and estimated CPU figures: the threads that read together (the engine's). */
  threads?: number;
}

/** What decides how fast a model decodes here: the input of every estimate and recommendation. */
export interface MachineDescription {
  /** Physical CPU cores; the embedded engine decodes on all of them (defaultThreads). */
  cores?: number;
  /** RAM the OS reports, GiB; 0 when unknown. */
  ramGb: number;
  /** Main memory as the engine's CPU threads read it together. */
  cpuBandwidth?: Bandwidth;
  /** The GPU the model server computes on: a discrete board with its own memory, or Apple's on unified memory. */
  gpu?: {
    name: string;
    unifiedMemory: boolean;
    /** A discrete board's memory, GB: what does not fit runs on the CPU. */
    memoryGb?: number;
    bandwidth?: Bandwidth;
  };
}

/**
 * Per engine thread, when nothing was measured: about what one core of a current x86 or ARM machine
 * streams (this project's 2-vCPU Xeon read 7–8 GB/s on one thread), and at most what a desktop's two
 * DDR5 channels carry. Said as an estimate wherever it is used.
 */
export const ESTIMATED_GBPS_PER_THREAD = 8;
export const ESTIMATED_CPU_GBPS_CAP = 60;

/**
 * Hardware facts plus the bandwidth probe → the machine the estimates work on. Pure: the probe ran
 * before (or did not: then the CPU figure is estimated from the cores, or unknown without them).
 */
export function describeMachine(hardware: Hardware, probe?: BandwidthProbe): MachineDescription {
  const machine: MachineDescription = { ramGb: hardware.ramGb };
  if (hardware.cpuCores !== undefined) machine.cores = hardware.cpuCores;
  if (probe) {
    machine.cpuBandwidth = { gbps: probe.gbps, source: "measured", threads: probe.threads };
  } else if (hardware.cpuCores !== undefined) {
    const threads = defaultThreads(hardware.cpuCores);
    machine.cpuBandwidth = { gbps: Math.min(ESTIMATED_CPU_GBPS_CAP, threads * ESTIMATED_GBPS_PER_THREAD), source: "estimated", threads };
  }
  if (hardware.appleSilicon) {
    const gbps = appleChipBandwidth(hardware.chip);
    machine.gpu = {
      name: hardware.chip ?? "Apple Silicon",
      unifiedMemory: true,
      ...(gbps !== undefined ? { bandwidth: { gbps, source: "published" as const } } : {}),
    };
  } else if (hardware.gpu) {
    const gbps = nvidiaGpuBandwidth(hardware.gpu);
    machine.gpu = {
      name: hardware.gpu,
      unifiedMemory: false,
      ...(hardware.gpuMemoryGb !== undefined ? { memoryGb: hardware.gpuMemoryGb } : {}),
      ...(gbps !== undefined ? { bandwidth: { gbps, source: "published" as const } } : {}),
    };
  }
  return machine;
}

/** The engine's CPU threads on a machine of this many cores (undefined cores: unknown). */
export function engineThreads(cores: number | undefined): number | undefined {
  return cores === undefined ? undefined : defaultThreads(cores);
}
