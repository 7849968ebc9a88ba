import type { MachineDescription } from "./describe-machine.js";
import { downloadSeconds, estimateDecodeSpeed, weightsOf, type DecodeEstimate } from "./estimate-decode-speed.js";
import { fitsInRam, formatGb, recommendProfile, type LocalProfile, type Recommendation } from "./recommend-profile.js";

/**
 * Below this many tokens/s a model is too slow to recommend when a smaller one is faster: Claude
 * Code's answers are hundreds of tokens, tool calls included, so 8 tokens/s is already a minute for
 * a long one.
 */
export const SLOW_BELOW_TOKENS_PER_SECOND = 8;
/** The link a download time is given for: nothing is downloaded to measure it, so it is said with every figure. */
export const ASSUMED_LINK_MBPS = 100;

/** One line of `mallex init`'s table. */
export interface ModelRow {
  profile: LocalProfile;
  /** Undefined: the profile declares no download_gb. */
  downloadGb?: number;
  downloadSeconds?: number;
  /** Undefined: its size or the machine's deciding bandwidth is unknown. */
  speed?: DecodeEstimate;
  /** Within the RAM the OS reports (fitsInRam); false when the RAM is unknown. */
  fits: boolean;
}

export interface MachineRecommendation extends Recommendation {
  /** Every candidate profile, in the order of their need (as listLocalProfiles sorts them). */
  rows: ModelRow[];
  /** The profile the RAM alone picks, when the speed made the recommendation a smaller one. */
  steppedDownFrom?: LocalProfile;
}

export interface RecommendForMachineOptions {
  appleSilicon?: boolean;
  platform?: NodeJS.Platform;
  /** Download times are for this link (default ASSUMED_LINK_MBPS). */
  linkMbps?: number;
  /** Default SLOW_BELOW_TOKENS_PER_SECOND. */
  slowBelow?: number;
}

/**
 * The largest profile this machine's RAM holds (recommendProfile), unless it would decode slower than
 * `slowBelow` here: then the largest that fits and is fast enough, or, when none is, the fastest that
 * fits, with a warning. A profile whose speed cannot be estimated keeps the RAM's choice. Pure: the
 * machine is described (measured or not) before, so every machine is a test case.
 */
export function recommendForMachine(
  profiles: readonly LocalProfile[],
  machine: MachineDescription,
  options: RecommendForMachineOptions = {},
): MachineRecommendation {
  const byRam = recommendProfile(profiles, machine.ramGb, options);
  const slowBelow = options.slowBelow ?? SLOW_BELOW_TOKENS_PER_SECOND;
  const link = options.linkMbps ?? ASSUMED_LINK_MBPS;
  const sorted = [...profiles].sort((a, b) => a.minRamGb - b.minRamGb || (a.paramsB ?? 0) - (b.paramsB ?? 0));
  const rows = sorted.map((profile) => rowOf(profile, machine, link));
  const chosen = rows.find((row) => row.profile.name === byRam.profile.name)!;
  const ram = `${formatGb(machine.ramGb)} GB RAM`;
  if (!chosen.fits || chosen.speed === undefined) return { ...byRam, rows };

  if (chosen.speed.tokensPerSecond >= slowBelow) {
    const bigger = sorted.find((p) => p.minRamGb > chosen.profile.minRamGb);
    const reason = `${ram} → ${chosen.profile.name} (needs ${chosen.profile.minRamGb} GB, ${formatSpeed(chosen.speed)} tokens/s here${bigger ? `; ${bigger.name} needs ${bigger.minRamGb} GB` : ""})`;
    return { ...byRam, reason, rows };
  }

  const timed = rows.filter((row): row is ModelRow & { speed: DecodeEstimate } => row.fits && row.speed !== undefined);
  const fast = timed.filter((row) => row.speed.tokensPerSecond >= slowBelow);
  const fastest = timed.reduce((best, row) => (row.speed.tokensPerSecond > best.speed.tokensPerSecond ? row : best));
  const pick = fast[fast.length - 1] ?? fastest;
  const slow = `${ram} holds ${chosen.profile.name}, but at ${formatSpeed(chosen.speed)} tokens/s here`;
  // The warnings of the profile picked (mlx-lm off Apple Silicon names its model), not of the one passed over.
  const warnings = pick === chosen ? [...byRam.warnings] : recommendProfile([pick.profile], machine.ramGb, options).warnings;
  if (pick === chosen) {
    warnings.push(
      `no local profile decodes ${slowBelow} tokens/s here: Claude Code waits for every token; send tiers to Claude (--tiers) or use a faster machine`,
    );
    return {
      ...byRam,
      reason: `${ram} → ${chosen.profile.name} (needs ${chosen.profile.minRamGb} GB, ${formatSpeed(chosen.speed)} tokens/s here: slow, and still the fastest that fits)`,
      warnings,
      rows,
    };
  }
  if (fast.length === 0) {
    warnings.push(
      `no local profile decodes ${slowBelow} tokens/s here; ${pick.profile.name} is the fastest that fits. Claude Code waits for every token: send tiers to Claude (--tiers) or use a faster machine`,
    );
  }
  const why = fast.length > 0 ? `the largest that decodes ${slowBelow}+` : "the fastest that fits";
  const reason = `${slow} → ${pick.profile.name} (needs ${pick.profile.minRamGb} GB, ${formatSpeed(pick.speed)} tokens/s here: ${why})`;
  return { profile: pick.profile, reason, warnings, rows, steppedDownFrom: chosen.profile };
}

function rowOf(profile: LocalProfile, machine: MachineDescription, linkMbps: number): ModelRow {
  const row: ModelRow = { profile, fits: machine.ramGb > 0 && fitsInRam(profile, machine.ramGb) };
  if (profile.downloadGb !== undefined) {
    row.downloadGb = profile.downloadGb;
    row.downloadSeconds = downloadSeconds(profile.downloadGb, linkMbps);
  }
  const weights = weightsOf(profile);
  const speed = weights ? estimateDecodeSpeed(machine, weights) : undefined;
  if (speed) row.speed = speed;
  return row;
}

/** `~0.6`, `~5.7`, `~12`, `~150`: one decimal below 10, none above; an estimate always carries its `~`. */
export function formatSpeed(speed: DecodeEstimate): string {
  const tps = speed.tokensPerSecond;
  return `~${tps < 10 ? tps.toFixed(1) : String(Math.round(tps))}`;
}
