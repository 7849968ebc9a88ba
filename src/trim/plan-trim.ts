// Which trimming a request gets: the plan the routing table holds for a profile's size, and the
// smaller sizes tried, one after another, until the trimmed request fits.
import type { Size } from "../../generated/config.js";
import { type CompiledProfile, type CompiledToolPolicy, type CompiledTrimming, type RoutingTable, SIZES } from "../compile/routing-table.js";
import type { TrimPlan, TrimResult } from "./trim-types.js";
import { contextFix, largerContext } from "../shared/context/context-fix.js";
import { inConfigFile } from "../shared/in-config-file.js";
import type { Steps } from "./run-steps.js";

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

/** Why a request was trimmed as a smaller size than its profile's: to fit the budget, or to leave room to talk (leavesRoomToTalk). */
export interface SmallerSize {
  size: Size;
  why: "budget" | "room";
}

/**
 * Trims with the profile's own size, then — while the result does not fit its budget, or leaves the
 * session no room to talk (`roomy`: see leavesRoomToTalk) — with each smaller size's trimming (fewer
 * tools, shorter templates): a context too small for the profile's size (a 2 K-token engine behind a
 * medium profile) still gets an answer, and a 4 K one a conversation. Fitting the budget comes first:
 * where no size is roomy, the first that fits. `smaller`: the size taken, when it is not the
 * profile's; the result is the own size's refusal when none fits. As Steps: each trim pauses between
 * its filters (see run-steps.ts).
 */
export function* trimToFit(
  trim: (size: Size) => Steps<TrimResult>,
  size: Size,
  roomy: (trimmed: TrimResult) => boolean = () => true,
): Steps<{ trimmed: TrimResult; smaller?: SmallerSize }> {
  const own = yield* trim(size);
  if (own.ok && roomy(own)) return { trimmed: own };
  let fitted: { trimmed: TrimResult; smaller?: SmallerSize } | undefined = own.ok ? { trimmed: own } : undefined;
  for (const smaller of SIZES.slice(0, SIZES.indexOf(size)).reverse()) {
    const trimmed = yield* trim(smaller);
    if (!trimmed.ok) continue;
    if (roomy(trimmed)) return { trimmed, smaller: { size: smaller, why: fitted === undefined ? "budget" : "room" } };
    fitted ??= { trimmed, smaller: { size: smaller, why: "budget" } };
  }
  return fitted ?? { trimmed: own };
}
