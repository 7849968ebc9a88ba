import type { CompiledProfile, RoutingTable } from "../compile/routing-table.js";
import type { TrimPlan } from "./trim-types.js";

/** The trimming, filters and tool policy the routing table holds for a profile's size. */
export function trimPlanFor(table: RoutingTable, profile: CompiledProfile): TrimPlan {
  return {
    size: profile.size,
    trimming: table.trimming[profile.size],
    filters: table.filters,
    tools: table.tools[profile.size],
    profile,
  };
}
