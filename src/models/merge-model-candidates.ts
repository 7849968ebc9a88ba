import type { ModelFormat, ModelState } from "./model-entry.js";

/** One sighting of a model: found on disk by looking, or named by a profile. */
export interface ModelCandidate {
  /** The same model seen twice has the same key: its real path, or (not here) where it would be. */
  key: string;
  name: string;
  path: string | null;
  format: ModelFormat;
  /** Not here, or here but not complete: why (a download to come, one stopped halfway, an empty path). */
  absent?: { state: Exclude<ModelState, "on disk" | "unreadable">; problem: string };
  profile?: { name: string; tiers: readonly string[]; minRamGb?: number };
  /** The model as a profile or a measurement names it (a path, an hf: URI, a repo id, a server's tag): what its measured speeds and eval scores are kept under. */
  namedAs?: string;
}

/** A model with everything its sightings say about it. */
export interface MergedModel extends Omit<ModelCandidate, "profile" | "namedAs"> {
  profiles: string[];
  /** Every name its sightings gave it. */
  namedAs: string[];
  tiers: string[];
  /** The min_ram_gb of each profile that declares one. */
  minRamGb: number[];
}

/** Tiers in the order requests climb them, then the classifier's model. */
const USE_ORDER: readonly string[] = ["low", "medium", "high", "classifier"];

/**
 * One model per key, in the order first seen: the profiles that name it and the tiers they serve
 * gathered, the first name kept. A model found on disk stays "here" even when a profile's sighting
 * says otherwise (the profile's is the weaker one: found by its name alone). Pure.
 */
export function mergeModelCandidates(candidates: readonly ModelCandidate[]): MergedModel[] {
  const byKey = new Map<string, MergedModel>();
  for (const { profile, namedAs, ...candidate } of candidates) {
    let model = byKey.get(candidate.key);
    if (!model) {
      model = { ...candidate, profiles: [], tiers: [], minRamGb: [], namedAs: [] };
      byKey.set(candidate.key, model);
    } else if (model.absent && !candidate.absent) {
      delete model.absent;
    }
    if (namedAs !== undefined && !model.namedAs.includes(namedAs)) model.namedAs.push(namedAs);
    if (!profile) continue;
    if (!model.profiles.includes(profile.name)) model.profiles.push(profile.name);
    for (const tier of profile.tiers) if (!model.tiers.includes(tier)) model.tiers.push(tier);
    if (profile.minRamGb !== undefined) model.minRamGb.push(profile.minRamGb);
  }
  for (const model of byKey.values()) model.tiers.sort((a, b) => useRank(a) - useRank(b));
  return [...byKey.values()];
}

/** Where a tier (or "classifier") comes in USE_ORDER; anything else after them. */
export function useRank(use: string): number {
  const i = USE_ORDER.indexOf(use);
  return i < 0 ? USE_ORDER.length : i;
}
