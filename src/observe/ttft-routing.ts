import type { CompiledProfile, RoutingTable } from "../compile/routing-table.js";
import { escalateForTtft, type TtftEscalation } from "../router/escalate-for-ttft.js";
import { predictTtft } from "../router/predict-ttft.js";
import type { BackendAvailability, RouteDecision } from "../router/select-route.js";
import type { SessionPrompts } from "../router/session-prompts.js";
import { sampleOf } from "./learn-rates.js";
import type { RequestMetrics } from "./request-log.js";
import type { TtftRates } from "./ttft-rates.js";

/** What predicting the time to first token needs, built with the server context. */
export interface TtftState {
  rates: TtftRates;
  prompts: SessionPrompts;
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
export function escalateOnTtft(state: TtftState, table: RoutingTable, route: RouteDecision, prompt: PromptFacts, available: BackendAvailability): TtftEscalation | undefined {
  const predict = (profile: CompiledProfile) => {
    const previousTokens = prompt.sessionId ? state.prompts.get(prompt.sessionId, profile.name) : undefined;
    return predictTtft(state.rates.get(profile), { tokens: prompt.estimatedTokens, ...(previousTokens === undefined ? {} : { previousTokens }) });
  };
  return escalateForTtft(route, predict, table, available);
}

/**
 * Learns from a local request as its log line is written: its rates, and — when it was answered —
 * its prompt as what the profile's prefix cache now holds of the session.
 */
export function learnFromRequest(state: TtftState, profile: CompiledProfile, metrics: RequestMetrics, prompt: PromptFacts): void {
  const newSession = !prompt.sessionId || state.prompts.get(prompt.sessionId, profile.name) === undefined;
  const sample = sampleOf(metrics, prompt.estimatedTokens, newSession);
  if (sample) state.rates.learn(profile, sample);
  if (prompt.sessionId && metrics.error === undefined && metrics.firstTokenAt !== undefined) state.prompts.set(prompt.sessionId, profile.name, prompt.estimatedTokens);
}
