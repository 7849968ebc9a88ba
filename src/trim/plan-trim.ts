import type { Size } from "../../generated/config.js";
import type { CompiledProfile, CompiledToolPolicy, CompiledTrimming, RoutingTable } from "../compile/routing-table.js";
import type { TrimPlan } from "./trim-types.js";
import { contextFix, largerContext } from "../shared/context/context-fix.js";
import { inConfigFile } from "../shared/in-config-file.js";

/** The trimming, filters and tool policy the routing table holds for a profile's size (or a smaller size, when its context is too small for its own). */
export function trimPlanFor(table: RoutingTable, profile: CompiledProfile, size: Size = profile.size): TrimPlan {
  const settingsIn = inConfigFile(table.configFile);
  const fix = contextFix(table.backends[profile.backend]?.flavor, largerContext(profile.contextWindow), `profile ${profile.name} ${settingsIn}`);
  if (profile.trim === false) return { ...untrimmedPlan(table, profile, size), contextFix: fix, settingsIn };
  return {
    size,
    trimming: table.trimming[size],
    filters: table.filters,
    tools: table.tools[size],
    profile,
    contextFix: fix,
    settingsIn,
  };
}

/** The system prompt as it came: no template, no keep rules. */
const UNTRIMMED: CompiledTrimming = Object.freeze({ passthrough: true, keep: [] });
const NO_FILTERS = Object.freeze([]) as unknown as TrimPlan["filters"];
// The same objects for the same table and profile on every request: the prefix cache compares plans by identity.
const untrimmedTools = new WeakMap<CompiledToolPolicy, CompiledToolPolicy>();
const unbudgeted = new WeakMap<CompiledProfile, CompiledProfile>();

/**
 * A profile with `trim: false`: the plan that leaves the request as Claude Code sent it — no
 * filter, the system prompt passed through, every tool with its own description and schema, no
 * input budget. What stays is what the model needs to be asked at all: in xml tool mode the tools
 * still go into the prompt through the tools template, and a deferred tool nothing loaded stays
 * out (Claude Code itself would refuse the call).
 */
function untrimmedPlan(table: RoutingTable, profile: CompiledProfile, size: Size): TrimPlan {
  const policy = table.tools[size];
  let tools = untrimmedTools.get(policy);
  if (tools === undefined)
    untrimmedTools.set(
      policy,
      (tools = Object.freeze({
        ...(policy.template !== undefined ? { template: policy.template } : {}),
        drop: [],
        stubDescriptions: false,
        stubClientDescriptions: false,
        simplifySchemas: false,
      })),
    );
  let whole = unbudgeted.get(profile);
  if (whole === undefined) {
    const { inputBudget: _budget, ...rest } = profile;
    unbudgeted.set(profile, (whole = rest));
  }
  return { size, trimming: UNTRIMMED, filters: NO_FILTERS, tools, profile: whole };
}
