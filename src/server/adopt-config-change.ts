import type { RoutingTable } from "../compile/routing-table.js";

/** What a running proxy took of its config compiled anew, and what waits for a restart, in sentences. */
export interface AdoptedConfig {
  table: RoutingTable;
  notes: string[];
}

/** Parts of the table that describe where it came from: they follow the new compile whatever else does. */
const PROVENANCE = new Set<string>(["hash", "sources", "env", "origins", "configFile"]);

/**
 * Pure: the table a running proxy serves after its config changed (a tier put on another model on
 * the Models page): the new tiers and profiles, where their backends are ones this proxy already runs
 * — requests are routed by the table each reads as it arrives, so the next one goes to the new
 * profile, and a server mallex starts for it is started on its first request as any other. Everything
 * else the proxy built once at its start (its backends, server settings, intents, trimming, templates,
 * memory…): a change there is named in `notes`, to be applied by starting mallex again, and the
 * running table keeps it as it was. A tier whose new profile runs on a backend this proxy does not
 * know keeps its old profile, said in `notes` too.
 */
export function adoptConfigChange(running: RoutingTable, next: RoutingTable): AdoptedConfig {
  const notes: string[] = [];
  const restartOnly = Object.keys({ ...running, ...next }).filter(
    (key) => key !== "tiers" && key !== "profiles" && !PROVENANCE.has(key) && !sameJson(running[key as keyof RoutingTable], next[key as keyof RoutingTable]),
  );
  if (restartOnly.length > 0)
    notes.push(`the config's ${restartOnly.sort().join(", ")} changed too: this mallex goes on with them as it started; they apply when mallex starts again`);

  const adoptable = Object.fromEntries(Object.entries(next.profiles).filter(([, profile]) => running.backends[profile.backend] !== undefined));
  const tiers = { ...next.tiers };
  for (const [name, tier] of Object.entries(next.tiers)) {
    if (tier === undefined || adoptable[tier.profile] !== undefined) continue;
    const backend = next.profiles[tier.profile]?.backend ?? "?";
    const kept = running.tiers[name as keyof RoutingTable["tiers"]];
    if (kept === undefined) delete tiers[name as keyof RoutingTable["tiers"]];
    else tiers[name as keyof RoutingTable["tiers"]] = kept;
    notes.push(
      `tier ${name}'s profile ${tier.profile} runs on backend ${backend}, which this mallex did not start with: it serves ${kept?.profile ?? "nothing"} there until mallex starts again`,
    );
  }
  // A tier kept as it ran keeps its profile, whatever the new config says of it.
  const kept = Object.values(tiers).flatMap((tier) =>
    tier !== undefined && adoptable[tier.profile] === undefined && running.profiles[tier.profile] ? [tier.profile] : [],
  );
  const profiles = { ...adoptable, ...Object.fromEntries(kept.map((name) => [name, running.profiles[name]!])) };
  const provenance = Object.fromEntries([...PROVENANCE].filter((key) => key in next).map((key) => [key, next[key as keyof RoutingTable]]));
  return { table: { ...running, ...provenance, tiers, profiles }, notes };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
