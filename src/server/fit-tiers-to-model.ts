import type { CompiledProfile, RoutingTable } from "../compile/routing-table.js";

/**
 * `--embedded PATH` serves every local profile from one GGUF, but a tier still picks its profile's
 * settings — trimming size, tools, sampling, levers — for the model the config declared there: the
 * shipped default tier's 30B profile (medium: 13 tools) for a 1.5B model, which passed none of the
 * shipped eval's tasks that way. Each local tier is given instead the profile whose declared
 * `params_b` is nearest the served model's (its GGUF header's size), where that is another profile;
 * a tier whose profile is as near keeps it. Said in one line, or undefined when nothing changed.
 */
export function fitTiersToModel(table: RoutingTable): { table: RoutingTable; note?: string } {
  const tiers = { ...table.tiers };
  const moved: string[] = [];
  for (const [name, tier] of Object.entries(table.tiers)) {
    if (tier === undefined) continue;
    const current = table.profiles[tier.profile];
    const served = current?.servedParamsB;
    if (current === undefined || served === undefined) continue;
    const candidates = Object.values(table.profiles).filter((p) => p.backend === current.backend && p.model === current.model && p.paramsB !== undefined);
    const distance = (p: CompiledProfile) => Math.abs(Math.log(p.paramsB! / served));
    const best = Math.min(...candidates.map(distance));
    if (candidates.length === 0 || (current.paramsB !== undefined && distance(current) === best)) continue;
    const fit = candidates.find((p) => distance(p) === best)!;
    tiers[name as keyof typeof tiers] = { ...tier, profile: fit.name };
    moved.push(`${name} → ${fit.name}`);
  }
  if (moved.length === 0) return { table };
  const served = Object.values(table.profiles).find((p) => p.servedParamsB !== undefined);
  return {
    table: { ...table, tiers },
    note: `mallex: ${served?.servedName ?? "the embedded model"} has ${served?.servedParamsB}B parameters: its tiers use the settings of the profile declared nearest that size (${moved.join(", ")})`,
  };
}
