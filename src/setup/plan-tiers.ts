import type { TierName } from "../../generated/config.js";
import { TIER_ORDER } from "../compile/routing-table.js";

export interface PlannedTier {
  profile: string;
  fallback?: TierName;
  /** Served by the Anthropic API. */
  claude: boolean;
}

export interface PlanTiersInput {
  localProfile: string;
  claudeProfile: string;
  tiersToClaude: readonly TierName[];
  /**
   * Fallbacks the included default already sets (it has `high: { fallback: medium }`): tiers merge
   * key by key, so a written tier cannot drop an inherited fallback, only replace it.
   */
  inheritedFallbacks?: Partial<Record<TierName, TierName>>;
}

/**
 * Every tier's profile and fallback. A Claude tier falls back to the nearest local tier (lower first),
 * so a missing API key or an outage keeps it working locally; a fallback that would close a loop with
 * an inherited one is skipped, since the compiler rejects fallback cycles.
 */
export function planTiers(input: PlanTiersInput): Record<TierName, PlannedTier> {
  const claude = new Set(input.tiersToClaude);
  const plan = {} as Record<TierName, PlannedTier>;
  for (const tier of TIER_ORDER) {
    const entry: PlannedTier = { profile: claude.has(tier) ? input.claudeProfile : input.localProfile, claude: claude.has(tier) };
    const inherited = input.inheritedFallbacks?.[tier];
    if (inherited !== undefined) entry.fallback = inherited;
    plan[tier] = entry;
  }
  const local = TIER_ORDER.filter((tier) => !claude.has(tier));
  for (const tier of TIER_ORDER.filter((t) => claude.has(t))) {
    const current = plan[tier].fallback;
    // An inherited fallback to a local tier already does the job.
    if (current !== undefined && !claude.has(current) && !loops(plan, tier, current)) continue;
    const candidates = [...local].sort((a, b) => distance(tier, a) - distance(tier, b) || TIER_ORDER.indexOf(a) - TIER_ORDER.indexOf(b));
    const safe = candidates.find((candidate) => !loops(plan, tier, candidate));
    if (safe !== undefined) plan[tier].fallback = safe;
    else if (current !== undefined && loops(plan, tier, current)) delete plan[tier].fallback;
  }
  return plan;
}

/** Whether `tier → fallback` would make the chain from `fallback` come back to `tier`. */
function loops(plan: Record<TierName, PlannedTier>, tier: TierName, fallback: TierName): boolean {
  const seen = new Set<TierName>([tier]);
  let next: TierName | undefined = fallback;
  while (next !== undefined) {
    if (seen.has(next)) return true;
    seen.add(next);
    next = plan[next].fallback;
  }
  return false;
}

function distance(a: TierName, b: TierName): number {
  return Math.abs(TIER_ORDER.indexOf(a) - TIER_ORDER.indexOf(b));
}

/** "high,medium" → ["medium", "high"]; an unknown name is returned in `unknown`. */
export function parseTierList(text: string): { tiers: TierName[]; unknown: string[] } {
  const names = text
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "" && s !== "none");
  const unknown = names.filter((name) => !(TIER_ORDER as readonly string[]).includes(name));
  const tiers = TIER_ORDER.filter((tier) => names.includes(tier));
  return { tiers, unknown };
}
