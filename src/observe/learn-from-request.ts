import type { CompiledProfile } from "../compile/routing-table.js";
import type { PromptFacts } from "../router/select-route.js";
import type { SessionPrompts } from "../router/session-prompts.js";
import { sampleOf, ttftOf } from "./learn-rates.js";
import type { MeasuredServer } from "./measured-server.js";
import type { RequestMetrics } from "./request-log.js";
import type { TtftRates } from "./ttft-rates.js";

/** What predicting the time to first token reads (router/select-route.ts) and each finished request teaches, built with the server context. */
export interface TtftState {
  rates: TtftRates;
  prompts: SessionPrompts;
}

/**
 * Learns from a local request as its log line is written: its rates and time to first token on
 * `server` (the one that answered), and — when it was answered — its prompt as what the profile's
 * prefix cache now holds of the session.
 */
export function learnFromRequest(state: TtftState, profile: CompiledProfile, metrics: RequestMetrics, prompt: PromptFacts, server?: MeasuredServer): void {
  const newSession = !prompt.sessionId || state.prompts.get(prompt.sessionId, profile.name) === undefined;
  const ttftMs = ttftOf(metrics);
  const sample = { ...sampleOf(metrics, prompt.estimatedTokens, newSession), ...(ttftMs !== undefined ? { ttftMs } : {}) };
  if (Object.keys(sample).length > 0) state.rates.learn(profile, sample, server);
  if (prompt.sessionId && metrics.error === undefined && metrics.firstTokenAt !== undefined)
    state.prompts.set(prompt.sessionId, profile.name, prompt.estimatedTokens);
}
