import type { CompiledProfile, RoutingTable } from "../compile/routing-table.js";
import { TIER_ORDER } from "../compile/routing-table.js";
import { formatSeconds, predictTtft, type LearnedRates, type TtftPrediction } from "./predict-ttft.js";
import type { BackendAvailability, RouteDecision } from "./select-route.js";
import type { SessionPrompts } from "./session-prompts.js";

/** What a profile would take to the first token of this request; undefined: its rate is not learned yet. */
export type PredictFor = (profile: CompiledProfile) => TtftPrediction | undefined;

/** A request predicted slower than its tier's `max_ttft_s`: where it goes instead (absent: nowhere faster), and why, for the log. */
export interface TtftEscalation {
  route?: RouteDecision;
  note: string;
}

/**
 * Escalation on predicted time to first token. A request on a tier with `max_ttft_s` whose profile
 * is predicted to take longer goes to the first declared tier above — the order escalateForBudget
 * follows — whose backend can serve and that is predicted faster: the Anthropic API (no local
 * prefill), a local profile with a learned rate under this prediction and under its own tier's limit,
 * or one with no rate learned yet (its first requests teach it). Undefined when the request stays:
 * no limit, no learned rate (never on a guess), within the limit, or a profile the request named. Pure.
 */
export function escalateForTtft(route: RouteDecision, predict: PredictFor, table: RoutingTable, available: BackendAvailability): TtftEscalation | undefined {
  if (route.tier === undefined) return undefined;
  const limitMs = table.tiers[route.tier]?.maxTtftMs;
  if (limitMs === undefined) return undefined;
  const predicted = predict(route.profile);
  if (predicted === undefined || predicted.ms <= limitMs) return undefined;
  const why = `predicted ttft ${formatSeconds(predicted.ms)} > max_ttft_s ${limitMs / 1000} of tier ${route.tier}`;
  const rank = TIER_ORDER.indexOf(route.tier);
  for (const tier of TIER_ORDER.slice(rank + 1)) {
    const entry = table.tiers[tier];
    const profile = entry ? table.profiles[entry.profile] : undefined;
    if (!entry || !profile || !available(profile.backend).ok) continue;
    if (table.backends[profile.backend]?.kind !== "anthropic") {
      const there = predict(profile);
      if (there !== undefined && (there.ms >= predicted.ms || (entry.maxTtftMs !== undefined && there.ms > entry.maxTtftMs))) continue;
    }
    return { route: { profile, tier, reason: `${route.reason} → ${why}, escalated to ${tier}`, skipped: [] }, note: `${why}, escalating to ${tier}` };
  }
  return { note: `${why}, but no tier above is predicted faster: staying` };
}

/** What predicting the time to first token reads: each profile's learned rates, and each session's last prompt. */
export interface TtftKnowledge {
  rates: { get(profile: Pick<CompiledProfile, "name" | "model">): LearnedRates | undefined };
  prompts: Pick<SessionPrompts, "get">;
}

/** A local request's prompt as mallex knows it before sending it. */
export interface PromptFacts {
  /** The trimmed prompt, in mallex's estimated tokens (the trim report's `after.tokens`). */
  estimatedTokens: number;
  /** `x-claude-code-session-id`, when the client sent one. */
  sessionId: string | null | undefined;
}

/**
 * Where a trimmed local request goes when its tier's `max_ttft_s` is predicted to be exceeded (see
 * escalateForTtft), with the words for the log; undefined: it stays, and nothing is said.
 */
export function escalateOnTtft(
  state: TtftKnowledge,
  table: RoutingTable,
  route: RouteDecision,
  prompt: PromptFacts,
  available: BackendAvailability,
): TtftEscalation | undefined {
  const predict = (profile: CompiledProfile) => {
    const previousTokens = prompt.sessionId ? state.prompts.get(prompt.sessionId, profile.name) : undefined;
    return predictTtft(state.rates.get(profile), { tokens: prompt.estimatedTokens, ...(previousTokens === undefined ? {} : { previousTokens }) });
  };
  return escalateForTtft(route, predict, table, available);
}
