import type { MachineDescription } from "./describe-machine.js";
import { CPU_EFFICIENCY, GPU_EFFICIENCY } from "./estimate-decode-speed.js";
import { formatSpeed, type ModelRow } from "./recommend-for-machine.js";

export interface ModelTableInput {
  rows: readonly ModelRow[];
  recommended: string;
  machine: MachineDescription;
  linkMbps: number;
  /** How long the bandwidth probe took, for the note (absent: not measured). */
  probeMs?: number;
}

/**
 * `mallex init`'s table, one line a profile, then what its numbers rest on: which figures were
 * measured on this machine, which are published or estimated. Pure.
 *
 *   model                    download   at 100 Mbit/s   tokens/s   fits in RAM   recommended
 *   gguf-qwen2.5-coder-1.5b  0.99 GB    ~1 min          ~5.7       yes (4 GB)    ✓
 */
export function formatModelTable(input: ModelTableInput): string[] {
  const header = ["model", "download", `at ${input.linkMbps} Mbit/s`, "tokens/s", "fits in RAM", "recommended"];
  const cells = input.rows.map((row) => [
    row.profile.name,
    row.downloadGb !== undefined ? `${formatDownloadGb(row.downloadGb)} GB` : "?",
    row.downloadSeconds !== undefined ? formatDuration(row.downloadSeconds) : "?",
    row.speed ? formatSpeed(row.speed) + (row.speed.on === "gpu+cpu" ? ` (${Math.round((row.speed.gpuShare ?? 0) * 100)}% on GPU)` : "") : "?",
    `${input.machine.ramGb > 0 ? (row.fits ? "yes" : "no") : "?"} (${row.profile.minRamGb} GB)`,
    row.profile.name === input.recommended ? "✓" : "",
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i]!)))
      .join("   ")
      .trimEnd();
  const out = [line(header), ...cells.map(line)];
  out.push(...describeBasis(input));
  return out;
}

/** The note under the table: what tokens/s and the download times rest on, measured or not. */
function describeBasis(input: ModelTableInput): string[] {
  const notes: string[] = [];
  const { machine } = input;
  const cpu = machine.cpuBandwidth;
  const cpuText = cpu
    ? cpu.source === "measured"
      ? `the ${formatGbps(cpu.gbps)} GB/s this machine read from memory just now on ${threads(cpu.threads)} (the engine's${input.probeMs !== undefined ? `; ${(input.probeMs / 1000).toFixed(1)} s probe` : ""})`
      : `~${formatGbps(cpu.gbps)} GB/s for ${threads(cpu.threads)} (estimated from the core count, not measured)`
    : undefined;
  const gpu = machine.gpu;
  const divide = "÷ the GB each token reads (the whole file; a mixture of experts, its active share)";
  if (gpu?.bandwidth) {
    const base = `tokens/s: estimated, ${percent(GPU_EFFICIENCY)} of the ${gpu.name}'s published ${formatGbps(gpu.bandwidth.gbps)} GB/s (not measured) ${divide}`;
    notes.push(
      gpu.unifiedMemory || !cpuText
        ? `${base}.`
        : `${base}; what does not fit in its ${gpu.memoryGb ?? "?"} GB runs on the CPU at ${percent(CPU_EFFICIENCY)} of ${cpuText}.`,
    );
  } else if (gpu && !gpu.unifiedMemory) {
    notes.push(`tokens/s: unknown — the engine runs on the ${gpu.name}, whose bandwidth mallex does not know.`);
  } else if (cpuText) {
    notes.push(`tokens/s: estimated, ${percent(CPU_EFFICIENCY)} of ${cpuText} ${divide}.`);
  } else {
    notes.push("tokens/s: unknown — neither the memory bandwidth nor the core count could be read here.");
  }
  if (input.rows.some((row) => row.downloadGb === undefined))
    notes.push("?: the profile declares no download_gb, so neither its download nor its speed is known.");
  return notes;
}

function threads(n: number | undefined): string {
  return n === undefined ? "its threads" : `${n} thread${n === 1 ? "" : "s"}`;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function formatGbps(gbps: number): string {
  return gbps < 10 ? gbps.toFixed(1) : String(Math.round(gbps));
}

/** 0.99, 4.68, 18.6: as the hub lists them (three significant digits). */
function formatDownloadGb(gb: number): string {
  return gb >= 10 ? gb.toFixed(1) : gb.toFixed(2);
}

/** `<1 min`, `~12 min`, `~2.1 h`. */
export function formatDuration(seconds: number): string {
  const minutes = seconds / 60;
  if (minutes < 1) return "<1 min";
  if (minutes < 90) return `~${Math.round(minutes)} min`;
  return `~${(minutes / 60).toFixed(1)} h`;
}
