import { readFile } from "node:fs/promises";
import { arch, availableParallelism, platform, totalmem } from "node:os";
import { runCommand, type RunCommand } from "./run-command.js";

/** What `mallex init` and `mallex doctor` know about this machine. Unknown facts are absent, never guessed. */
export interface Hardware {
  platform: NodeJS.Platform;
  arch: string;
  /** Memory the OS reports, in GiB with one decimal (a little below what is installed); 0 when unknown. */
  ramGb: number;
  /** CPU cores llama.cpp computes on: physical ones (Linux: /proc/cpuinfo, no SMT siblings), else the logical count. */
  cpuCores?: number;
  /** Apple: `sysctl -n machdep.cpu.brand_string`, e.g. "Apple M3 Max". */
  chip?: string;
  /** A discrete GPU the machine shows (nvidia-smi), e.g. "NVIDIA GeForce RTX 4090". */
  gpu?: string;
  gpuMemoryGb?: number;
  /** mlx-lm runs only here: macOS on an Apple chip. */
  appleSilicon: boolean;
}

export interface DetectHardwareDeps {
  platform: NodeJS.Platform;
  arch: string;
  totalmem: () => number;
  readFile: (path: string) => Promise<string>;
  run: RunCommand;
  /** os.availableParallelism(); absent: the core count stays unknown unless /proc/cpuinfo tells it. */
  logicalCores?: () => number;
}

export const defaultHardwareDeps = (): DetectHardwareDeps => ({
  platform: platform(),
  arch: arch(),
  totalmem,
  readFile: (path) => readFile(path, "utf8"),
  run: runCommand,
  logicalCores: availableParallelism,
});

const GIB = 1024 ** 3;

/** Probes RAM, the Apple chip and an NVIDIA GPU. Every probe may fail; a failed one leaves its field unknown. */
export async function detectHardware(deps: DetectHardwareDeps = defaultHardwareDeps()): Promise<Hardware> {
  const [ramBytes, cores, chip, gpu] = await Promise.all([
    readRamBytes(deps),
    readCpuCores(deps),
    deps.platform === "darwin" ? firstLine(deps, "sysctl", ["-n", "machdep.cpu.brand_string"]) : Promise.resolve(undefined),
    deps.platform === "darwin" ? Promise.resolve(undefined) : readNvidiaGpu(deps),
  ]);
  // Under Rosetta node reports x64 on an Apple chip; the chip name still says "Apple".
  const appleSilicon = deps.platform === "darwin" && (deps.arch === "arm64" || (chip?.startsWith("Apple") ?? false));
  const hardware: Hardware = { platform: deps.platform, arch: deps.arch, ramGb: Math.round((ramBytes / GIB) * 10) / 10, appleSilicon };
  if (cores !== undefined) hardware.cpuCores = cores;
  if (chip) hardware.chip = chip;
  if (gpu) {
    hardware.gpu = gpu.name;
    if (gpu.memoryGb !== undefined) hardware.gpuMemoryGb = gpu.memoryGb;
  }
  return hardware;
}

/** Linux: MemTotal from /proc/meminfo (in a container: the host's memory, not a cgroup limit); elsewhere os.totalmem(). */
async function readRamBytes(deps: DetectHardwareDeps): Promise<number> {
  if (deps.platform === "linux") {
    try {
      const kib = parseMemTotalKib(await deps.readFile("/proc/meminfo"));
      if (kib !== undefined) return kib * 1024;
    } catch {
      // Unreadable /proc (a sandbox): fall through to what node knows.
    }
  }
  try {
    const bytes = deps.totalmem();
    return Number.isFinite(bytes) && bytes > 0 ? bytes : 0;
  } catch {
    return 0;
  }
}

/** Linux: physical cores from /proc/cpuinfo (hyperthread siblings counted once); else, and when that fails, the logical count. */
async function readCpuCores(deps: DetectHardwareDeps): Promise<number | undefined> {
  if (deps.platform === "linux") {
    try {
      const cores = parsePhysicalCores(await deps.readFile("/proc/cpuinfo"));
      if (cores !== undefined) return cores;
    } catch {
      // No /proc: the logical count below.
    }
  }
  try {
    const logical = deps.logicalCores?.();
    return logical !== undefined && Number.isInteger(logical) && logical > 0 ? logical : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Distinct (physical id, core id) pairs of /proc/cpuinfo: a 2-vCPU VM lists core ids 0 and 1 → 2, an
 * 8-core CPU with SMT lists each core id twice → 8. Undefined when the file names no core ids (some ARM
 * kernels): the caller falls back to the logical count.
 */
export function parsePhysicalCores(cpuinfo: string): number | undefined {
  const cores = new Set<string>();
  for (const block of cpuinfo.split(/\n\s*\n/)) {
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (core === undefined) continue;
    const socket = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1] ?? "0";
    cores.add(`${socket}:${core}`);
  }
  return cores.size > 0 ? cores.size : undefined;
}

/** `MemTotal:       24684096 kB` → 24684096. */
export function parseMemTotalKib(meminfo: string): number | undefined {
  const match = /^MemTotal:\s+(\d+)\s*kB/im.exec(meminfo);
  return match?.[1] ? Number(match[1]) : undefined;
}

/** First GPU from `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(output: string): { name: string; memoryGb?: number } | undefined {
  const line = output
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l !== "");
  if (!line) return undefined;
  const [name, mib] = line.split(",").map((part) => part.trim());
  if (!name) return undefined;
  const memory = Number(mib);
  return Number.isFinite(memory) && memory > 0 ? { name, memoryGb: Math.round(memory / 1024) } : { name };
}

async function readNvidiaGpu(deps: DetectHardwareDeps): Promise<{ name: string; memoryGb?: number } | undefined> {
  const result = await safeRun(deps, "nvidia-smi", ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"]);
  return result ? parseNvidiaSmi(result) : undefined;
}

async function firstLine(deps: DetectHardwareDeps, file: string, args: string[]): Promise<string | undefined> {
  const out = await safeRun(deps, file, args);
  const line = out?.split("\n")[0]?.trim();
  return line ? line : undefined;
}

async function safeRun(deps: DetectHardwareDeps, file: string, args: string[]): Promise<string | undefined> {
  try {
    const result = await deps.run(file, args, { timeoutMs: 5000 });
    return result.ok ? result.stdout : undefined;
  } catch {
    return undefined;
  }
}

/** "Apple M3 Max, 16 cores, 64 GB unified memory" / "Linux x64, 2 cores, 24 GB RAM, GPU: NVIDIA … (24 GB)" (cores when known). */
export function describeHardware(hw: Hardware): string {
  const ram = hw.ramGb > 0 ? `${Math.round(hw.ramGb)} GB` : "unknown";
  const cores = hw.cpuCores !== undefined ? `${hw.cpuCores} core${hw.cpuCores === 1 ? "" : "s"}, ` : "";
  if (hw.appleSilicon) return `${hw.chip ?? "Apple Silicon"}, ${cores}${ram} unified memory`;
  const os = { darwin: "macOS", linux: "Linux", win32: "Windows" }[hw.platform as string] ?? hw.platform;
  const gpu = hw.gpu ? `GPU: ${hw.gpu}${hw.gpuMemoryGb ? ` (${hw.gpuMemoryGb} GB)` : ""}` : "no GPU found";
  return `${os} ${hw.arch}${hw.chip ? ` (${hw.chip})` : ""}, ${cores}${ram} RAM, ${gpu}`;
}
