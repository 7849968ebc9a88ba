import type { Size } from "../../generated/config.js";
import type { RoutingTable } from "../compile/routing-table.js";

/** A profile that runs on this machine's own server (not the Anthropic API), with the memory it needs. */
export interface LocalProfile {
  name: string;
  minRamGb: number;
  model: string;
  backend: string;
  /** The backend's flavor: "mlx-lm" profiles need macOS on Apple Silicon; "embedded" ones run anywhere. */
  flavor: string;
  size: Size;
  description?: string;
  paramsB?: number;
  /** Parameters per token, for a mixture of experts. */
  activeParamsB?: number;
  /** The model's files as the hub lists them, GB. */
  downloadGb?: number;
}

export interface Recommendation {
  profile: LocalProfile;
  /** One sentence, e.g. "24 GB RAM → qwen2.5-coder-14b (needs 16 GB; qwen3-coder-30b needs 32 GB)". */
  reason: string;
  /** Things the user must know before running it (too little memory, mlx-lm on a machine that cannot run it). */
  warnings: string[];
}

/**
 * The OS reports less memory than is installed (firmware, integrated GPU, kernel): a 16 GB Linux box says
 * ~15.4 GiB, a 128 GB one ~125 GiB. A profile fits when the reported RAM is within this share of its need.
 */
export const REPORTED_RAM_SLACK = 0.93;

/** Local profiles that declare min_ram_gb, smallest first (declaration order breaks ties). */
export function listLocalProfiles(table: Pick<RoutingTable, "profiles" | "backends">): LocalProfile[] {
  const out: LocalProfile[] = [];
  for (const profile of Object.values(table.profiles)) {
    const backend = table.backends[profile.backend];
    if (!backend || backend.kind !== "openai" || profile.minRamGb === undefined) continue;
    const local: LocalProfile = {
      name: profile.name,
      minRamGb: profile.minRamGb,
      model: profile.model,
      backend: profile.backend,
      flavor: backend.flavor,
      size: profile.size,
    };
    if (profile.description !== undefined) local.description = profile.description;
    if (profile.paramsB !== undefined) local.paramsB = profile.paramsB;
    if (profile.activeParamsB !== undefined) local.activeParamsB = profile.activeParamsB;
    if (profile.downloadGb !== undefined) local.downloadGb = profile.downloadGb;
    out.push(local);
  }
  // A stable sort keeps declaration order among equal needs.
  return out.sort((a, b) => a.minRamGb - b.minRamGb || (a.paramsB ?? 0) - (b.paramsB ?? 0));
}

export function fitsInRam(profile: LocalProfile, ramGb: number): boolean {
  return ramGb >= profile.minRamGb * REPORTED_RAM_SLACK;
}

/**
 * The largest local profile this much RAM holds. Below the smallest profile's need (or when RAM is
 * unknown): the smallest, with a warning. Pure: `appleSilicon` only adds the warning that mlx-lm
 * profiles cannot run here, and keeps the same model family (its trimming and tool settings still fit).
 */
export function recommendProfile(
  profiles: readonly LocalProfile[],
  ramGb: number,
  options: { appleSilicon?: boolean; platform?: NodeJS.Platform } = {},
): Recommendation {
  const sorted = [...profiles].sort((a, b) => a.minRamGb - b.minRamGb || (a.paramsB ?? 0) - (b.paramsB ?? 0));
  const smallest = sorted[0];
  if (!smallest) throw new Error("recommendProfile needs at least one local profile with min_ram_gb");
  const ram = `${formatGb(ramGb)} GB RAM`;
  const warnings: string[] = [];
  let profile = smallest;
  let reason: string;
  if (!(ramGb > 0)) {
    reason = `RAM unknown → ${smallest.name}, the smallest profile (needs ${smallest.minRamGb} GB)`;
    warnings.push(`could not read this machine's memory; ${smallest.name} needs ${smallest.minRamGb} GB — pick a larger one with --model if you have more`);
  } else {
    const fitting = sorted.filter((p) => fitsInRam(p, ramGb));
    const chosen = fitting[fitting.length - 1];
    if (chosen) {
      profile = chosen;
      const bigger = sorted.find((p) => p.minRamGb > chosen.minRamGb);
      reason = `${ram} → ${chosen.name} (needs ${chosen.minRamGb} GB${bigger ? `; ${bigger.name} needs ${bigger.minRamGb} GB` : ""})`;
    } else {
      reason = `${ram} → ${smallest.name}, the smallest profile (needs ${smallest.minRamGb} GB)`;
      warnings.push(
        `${ram} is below what ${smallest.name} needs (${smallest.minRamGb} GB): expect swapping and slow answers, or use the Anthropic API for every tier`,
      );
    }
  }
  // Linux runs mlx-lm on mlx's CPU backend: asked for by name (`--backend mlx`), it is no mistake.
  if (options.appleSilicon === false && options.platform !== "linux" && profile.flavor === "mlx-lm") {
    warnings.push(
      `mlx-lm needs macOS on Apple Silicon: here, let mallex run a GGUF model itself (\`mallex init --backend embedded\`), or serve a GGUF build of the same model (${profile.description ?? profile.model}) with llama-server or Ollama and give mallex its --backend-url`,
    );
  }
  return { profile, reason, warnings };
}

export function formatGb(gb: number): string {
  return Number.isInteger(gb) ? String(gb) : String(Math.round(gb));
}
