import type { RoutingTable } from "../../compile/routing-table.js";
import { TIER_ORDER } from "../../compile/routing-table.js";

/**
 * Profile keys a request can be routed to: the tiers' (a fallback is a tier too), the classifier's,
 * the aliases'. The dashboard and `mallex status` show these only: a shipped config lists a dozen
 * profiles, and backends, for other machines.
 */
export function reachableProfiles(table: RoutingTable): Set<string> {
  const keys = new Set<string>();
  for (const tier of TIER_ORDER) {
    const profile = table.tiers[tier]?.profile;
    if (profile !== undefined) keys.add(profile);
  }
  if (table.classifier.mode === "model" && table.classifier.profile !== undefined) keys.add(table.classifier.profile);
  for (const alias of table.routing.aliases) keys.add(alias.profile);
  return keys;
}

/** The backends of the reachable profiles. */
export function reachableBackends(table: RoutingTable): Set<string> {
  return new Set([...reachableProfiles(table)].flatMap((key) => (table.profiles[key] === undefined ? [] : [table.profiles[key].backend])));
}
