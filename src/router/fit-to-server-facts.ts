import type { ServerFacts } from "../backends/server-facts.js";
import type { CompiledProfile, RoutingTable } from "../compile/routing-table.js";
import { budgetWithin } from "../shared/context/answer-reserve.js";

/**
 * A profile whose window is `contextSize` tokens: the window, a prompt budget that leaves the answer
 * room, and an answer no longer than the context (what /v1/models says as `max_tokens`).
 */
export function fitProfileToContext(profile: CompiledProfile, contextSize: number): CompiledProfile {
  const inputBudget = budgetWithin(contextSize, profile.inputBudget);
  return { ...profile, contextWindow: contextSize, inputBudget, maxOutputTokens: Math.min(profile.maxOutputTokens, contextSize) };
}

export interface FittedTable {
  table: RoutingTable;
  /** One line per profile whose window was lowered, saying from what, to what, and who said so. */
  notes: string[];
}

/**
 * The routing table as the servers really are: a profile declared with a larger `context_window`
 * than its server holds (or with none) gets the server's, and a prompt budget that fits it, so
 * trimming, `/v1/models`, the route header and what Claude Code is told all follow the server. A
 * smaller declared window is the user's choice and stays.
 */
export function fitToServerFacts(table: RoutingTable, factsOf: (backend: string, model: string) => ServerFacts | undefined): FittedTable {
  const notes: string[] = [];
  const profiles = Object.fromEntries(
    Object.entries(table.profiles).map(([key, profile]) => {
      const facts = factsOf(profile.backend, profile.model);
      const held = facts?.contextWindow;
      // A provisional context is a ceiling (Ollama before load): it lowers a declared window, never sets one.
      if (
        facts === undefined ||
        held === undefined ||
        (profile.contextWindow !== undefined && profile.contextWindow <= held) ||
        (facts.provisional === true && profile.contextWindow === undefined)
      )
        return [key, profile];
      const fitted = fitProfileToContext(profile, held);
      const declared = profile.contextWindow === undefined ? "no context_window declared" : `context_window ${profile.contextWindow} lowered`;
      notes.push(`profile ${profile.name}: ${declared} to ${held} tokens, what its server holds (${facts.source}); prompt budget ${fitted.inputBudget}`);
      return [key, fitted];
    }),
  );
  return { table: { ...table, profiles }, notes };
}
