/**
 * Whether `mallex run` turns Claude Code's tool search off.
 *
 * Claude Code 2.1.330 searches for tools by default: its main request then carries the ToolSearch tool
 * and a `DeferredToolPlaceholder` (`defer_loading: true`) instead of most tools, names the deferred
 * ones in a reminder, and loads one only when the model calls ToolSearch for it. A tier whose tool
 * policy (`tools.<size>` in mallex.yaml: `allow`, `drop`) does not offer ToolSearch to its local model
 * would therefore never see a deferred tool it allows, WebFetch for the shipped medium tier.
 * `ENABLE_TOOL_SEARCH=false` makes Claude Code send every tool up front, as 2.1.197 did. Claude
 * Code reads the variable as: unset or empty — on; `true` (or 1, yes…) — on; `auto`, `auto:N` — on
 * past N% of the context; `false` (or 0, no…) — off.
 */
import type { CompiledProfile, RoutingTable } from "../../compile/routing-table.js";
import { TIER_ORDER } from "../../compile/routing-table.js";

/** Claude Code's tool search tool: only a model offered it can load deferred tools. */
export const TOOL_SEARCH_TOOL = "ToolSearch";

export interface ClaudeToolSearchEnv {
  /** The variables to add to Claude Code's environment. */
  env: Record<string, string>;
  /** Lines for `mallex run`'s startup output: what was set, or that the user's setting was kept. */
  notes: string[];
}

/**
 * `ENABLE_TOOL_SEARCH=false` when a declared tier is served by a local profile whose tool policy does
 * not offer ToolSearch; nothing when every tier's model can search (or is Claude). A value already
 * in `userEnv` is left as the user set it, and said.
 */
export function claudeToolSearchEnv(table: RoutingTable, userEnv: Readonly<Record<string, string | undefined>>): ClaudeToolSearchEnv {
  const without = TIER_ORDER.flatMap((tier) => {
    const profile = table.tiers[tier] && table.profiles[table.tiers[tier].profile];
    return profile && !offersToolSearch(profile, table) ? [`${tier} (${profile.name})`] : [];
  });
  if (without.length === 0) return { env: {}, notes: [] };
  const tiers = without.length > 1 ? `tiers ${without.join(", ")} are` : `tier ${without[0]} is`;
  const set = userEnv.ENABLE_TOOL_SEARCH;
  if (set !== undefined && set !== "")
    return { env: {}, notes: [`ENABLE_TOOL_SEARCH=${set} from your environment kept, though ${tiers} not offered ${TOOL_SEARCH_TOOL}`] };
  return {
    env: { ENABLE_TOOL_SEARCH: "false" },
    notes: [`Claude Code started with ENABLE_TOOL_SEARCH=false (every tool sent up front): ${tiers} not offered ${TOOL_SEARCH_TOOL}`],
  };
}

/** A Claude profile searches itself; a local one only when its size's tool policy keeps ToolSearch. */
function offersToolSearch(profile: CompiledProfile, table: RoutingTable): boolean {
  if (table.backends[profile.backend]?.kind !== "openai") return true;
  const policy = table.tools[profile.size];
  if (policy.allow !== undefined && !policy.allow.includes(TOOL_SEARCH_TOOL)) return false;
  return !policy.drop.some(({ pattern }) => new RegExp(pattern.source, pattern.flags).test(TOOL_SEARCH_TOOL));
}
