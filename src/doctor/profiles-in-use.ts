import type { TierName } from "../../generated/config.js";
import type { CompiledBackend, CompiledProfile, RoutingTable } from "../compile/routing-table.js";
import { TIER_ORDER } from "../compile/routing-table.js";

export interface ProfileInUse {
  profile: CompiledProfile;
  backend: CompiledBackend;
  backendName: string;
  /** Tiers (and "classifier") that use it. */
  usedBy: string[];
}

/** Profiles a request can reach: those of the tiers, and the classifier's when it asks a model. */
export function profilesInUse(table: RoutingTable): ProfileInUse[] {
  const byName = new Map<string, ProfileInUse>();
  const use = (name: string | undefined, by: string) => {
    if (name === undefined) return;
    const profile = table.profiles[name];
    const backend = profile ? table.backends[profile.backend] : undefined;
    if (!profile || !backend) return;
    const entry = byName.get(name) ?? { profile, backend, backendName: profile.backend, usedBy: [] };
    entry.usedBy.push(by);
    byName.set(name, entry);
  };
  for (const tier of TIER_ORDER) use(table.tiers[tier]?.profile, tier);
  if (table.classifier.mode === "model") use(table.classifier.profile, "classifier");
  return [...byName.values()];
}

export const isLocal = (entry: ProfileInUse): boolean => entry.backend.kind === "openai";

/** The first local profile reached from `tier` by following fallbacks, if any. */
export function localFallback(table: RoutingTable, tier: TierName): { tier: TierName; profile: string } | undefined {
  const seen = new Set<TierName>([tier]);
  let next = table.tiers[tier]?.fallback;
  while (next !== undefined && !seen.has(next)) {
    seen.add(next);
    const entry = table.tiers[next];
    const profile = entry ? table.profiles[entry.profile] : undefined;
    if (entry && profile && table.backends[profile.backend]?.kind === "openai") return { tier: next, profile: entry.profile };
    next = entry?.fallback;
  }
  return undefined;
}
