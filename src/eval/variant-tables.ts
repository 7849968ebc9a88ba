import type { TierName } from "../../generated/config.js";
import type { RoutingTable } from "../compile/routing-table.js";
import { MallexError } from "../shared/mallex-error.js";

/**
 * Pure: the table as if every local profile said `trim: false` in the config: Claude Code's
 * request goes to the same model untrimmed (`mallex eval --trim off`). Claude's own profiles are
 * never trimmed anyway.
 */
export function withTrimOff(table: RoutingTable): RoutingTable {
  const profiles = Object.fromEntries(
    Object.entries(table.profiles).map(([name, profile]) => [
      name,
      table.backends[profile.backend]?.kind === "anthropic" ? profile : { ...profile, trim: false as const },
    ]),
  );
  return { ...table, profiles };
}

/**
 * Pure: the table with every tier that goes to Claude (an anthropic backend) served by its
 * fallback's local profile instead, following fallbacks until one is local (`mallex eval
 * --escalation off`: all local, against the config's escalation). Intents and stalls still route
 * to those tiers; they just stay on this machine.
 */
export function withLocalTiers(table: RoutingTable): RoutingTable {
  const isLocal = (profile: string) => table.backends[table.profiles[profile]?.backend ?? ""]?.kind !== "anthropic";
  const tiers = Object.fromEntries(
    Object.entries(table.tiers).map(([name, tier]) => {
      if (isLocal(tier.profile)) return [name, tier];
      const seen = new Set<TierName>([name as TierName]);
      let next = tier.fallback;
      while (next !== undefined && !seen.has(next)) {
        seen.add(next);
        const fallback = table.tiers[next];
        if (fallback === undefined) break;
        if (isLocal(fallback.profile)) return [name, { ...tier, profile: fallback.profile }];
        next = fallback.fallback;
      }
      throw new MallexError(
        "E_USAGE",
        `mallex eval --escalation off: tier ${name} goes to Claude (profile ${tier.profile}) and no fallback of it is a local profile: give it a fallback: tier whose profile runs locally`,
        { exitCode: 2 },
      );
    }),
  ) as RoutingTable["tiers"];
  return { ...table, tiers };
}
