import type { TierName } from "../../generated/config.js";
import type { ConfigView } from "./config-view.js";
import { TIER_ORDER } from "./routing-table.js";

/** Fallback chains must end, and every tier must be reachable by some route, or it is dead config. */
export function checkTiers(view: ConfigView): void {
  const { config, report } = view;
  const tiers = config.tiers;
  if (!tiers) return;

  const reportedCycles = new Set<string>();
  for (const tier of TIER_ORDER) {
    if (!tiers[tier]) continue;
    const seen: TierName[] = [tier];
    let next = tiers[tier]?.fallback;
    while (next !== undefined) {
      if (seen.includes(next)) {
        const loop = [...seen.slice(seen.indexOf(next)), next];
        const members = [...new Set(loop)].sort().join();
        if (!reportedCycles.has(members)) {
          reportedCycles.add(members);
          report("tier-fallback-cycle", ["tiers", next, "fallback"], `tier fallbacks loop: ${loop.join(" → ")}`, "end the chain at a tier without fallback");
        }
        break;
      }
      seen.push(next);
      next = tiers[next]?.fallback;
    }
  }

  const declared = TIER_ORDER.filter((tier) => tiers[tier] !== undefined);
  const expectTier = (tier: TierName, path: (string | number)[]) => {
    if (!declared.includes(tier))
      report("ref-tier-unknown", path, `tier ${tier} is not declared`, `declared tiers: ${declared.join(", ")}; add tiers.${tier}: { profile: … }`);
  };
  expectTier(config.routing?.default_tier ?? "medium", ["routing", "default_tier"]);
  config.routing?.models?.forEach((rule, i) => expectTier(rule.tier, ["routing", "models", i, "tier"]));
  config.intents?.forEach((intent, i) => intent.tier && expectTier(intent.tier, ["intents", i, "tier"]));
  for (const tier of declared) {
    const fallback = tiers[tier]?.fallback;
    if (fallback) expectTier(fallback, ["tiers", tier, "fallback"]);
  }

  const reachable = new Set<TierName>([config.routing?.default_tier ?? "medium"]);
  for (const rule of config.routing?.models ?? []) reachable.add(rule.tier);
  for (const intent of config.intents ?? []) if (intent.tier) reachable.add(intent.tier);
  // A stalled model escalates one tier at a time (escalate_on_stall, on unless turned off), as an escalate intent does.
  const escalates = config.routing?.escalate_on_stall !== false || (config.intents ?? []).some((intent) => intent.escalate !== undefined);
  let grew = true;
  while (grew) {
    grew = false;
    for (const tier of [...reachable]) {
      const more: TierName[] = [];
      const fallback = tiers[tier]?.fallback;
      if (fallback) more.push(fallback);
      if (escalates) more.push(...TIER_ORDER.slice(TIER_ORDER.indexOf(tier) + 1));
      for (const t of more) {
        if (!reachable.has(t)) {
          reachable.add(t);
          grew = true;
        }
      }
    }
  }
  for (const tier of declared) {
    if (!reachable.has(tier)) {
      report(
        "tier-unreachable",
        ["tiers", tier],
        `tier ${tier} is unreachable: no default_tier, model rule, intent, escalation or fallback leads to it`,
        `route to it (an intent with tier: ${tier}, a routing.models rule, an escalate intent) or remove it`,
        { key: true },
      );
    }
  }
}
