import { readFile } from "node:fs/promises";
import { arch, platform, totalmem } from "node:os";
import { runCommand, type RunCommand } from "./run-command.js";

/** What `mallex init` and `mallex doctor` know about this machine. Unknown facts are absent, never guessed. */
export interface Hardware {
  platform: NodeJS.Platform;
  arch: string;
  /** Memory the OS reports, in GiB with one decimal (a little below what is installed); 0 when unknown. */
  ramGb: number;
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
}

export const defaultHardwareDeps = (): DetectHardwareDeps => ({
  platform: platform(),
  arch: arch(),
  totalmem,
  readFile: (path) => readFile(path, "utf8"),
  run: runCommand,
});

const GIB = 1024 ** 3;

/** Probes RAM, the Apple chip and an NVIDIA GPU. Every probe may fail; a failed one leaves its field unknown. */
export async function detectHardware(deps: DetectHardwareDeps = defaultHardwareDeps()): Promise<Hardware> {
  const [ramBytes, chip, gpu] = await Promise.all([
    readRamBytes(deps),
    deps.platform === "darwin" ? firstLine(deps, "sysctl", ["-n", "machdep.cpu.brand_string"]) : Promise.resolve(undefined),
    deps.platform === "darwin" ? Promise.resolve(undefined) : readNvidiaGpu(deps),
  ]);
  // Under Rosetta node reports x64 on an Apple chip; the chip name still says "Apple".
  const appleSilicon = deps.platform === "darwin" && (deps.arch === "arm64" || (chip?.startsWith("Apple") ?? false));
  const hardware: Hardware = { platform: deps.platform, arch: deps.arch, ramGb: Math.round((ramBytes / GIB) * 10) / 10, appleSilicon };
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

/** `MemTotal:       24684096 kB` → 24684096. */
export function parseMemTotalKib(meminfo: string): number | undefined {
  const match = /^MemTotal:\s+(\d+)\s*kB/im.exec(meminfo);
  return match?.[1] ? Number(match[1]) : undefined;
}

/** First GPU from `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(output: string): { name: string; memoryGb?: number } | undefined {
  const line = output.split("\n").map((l) => l.trim()).find((l) => l !== "");
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

/** "Apple M3 Max, 64 GB unified memory" / "Linux x64, 24 GB RAM, GPU: NVIDIA … (24 GB)". */
export function describeHardware(hw: Hardware): string {
  const ram = hw.ramGb > 0 ? `${Math.round(hw.ramGb)} GB` : "unknown";
  if (hw.appleSilicon) return `${hw.chip ?? "Apple Silicon"}, ${ram} unified memory`;
  const os = { darwin: "macOS", linux: "Linux", win32: "Windows" }[hw.platform as string] ?? hw.platform;
  const gpu = hw.gpu ? `GPU: ${hw.gpu}${hw.gpuMemoryGb ? ` (${hw.gpuMemoryGb} GB)` : ""}` : "no GPU found";
  return `${os} ${hw.arch}${hw.chip ? ` (${hw.chip})` : ""}, ${ram} RAM, ${gpu}`;
}
