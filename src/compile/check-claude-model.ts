import type { ConfigView } from "./config-view.js";
import type { RoutingTable } from "./routing-table.js";

/**
 * Claude models Anthropic has announced the end of, with the day their requests start failing and the
 * model that takes their place: the model deprecations page, as the Anthropic SDK's own list carries
 * it (test/unit/check-claude-model.test.ts holds this table to the installed SDK's). A profile that names
 * one works until that day and then answers every hard request with Anthropic's error, so compile
 * says so while there is time, and so does every start whose config was compiled before (retiringModelWarnings).
 *
 * The successor named is the newest model that takes the same requests, not Anthropic's newest: mallex
 * passes a client's request on as it came, and the 5.5 models refuse what clients still send —
 * temperature and top_p, thinking with a budget (Claude Code's for a haiku-named model) or turned off, a forced tool
 * choice (the Vercel AI SDK's toolChoice) — where Sonnet and Opus 4.6 take them as 4.5 did (the AI
 * SDK's model capabilities, @ai-sdk/anthropic 3.0.137).
 */
export const RETIRING_CLAUDE_MODELS: Readonly<Record<string, { endOfLife: string; successor: string }>> = {
  "claude-mythos-preview": { endOfLife: "2026-06-30", successor: "claude-mythos-5-2" },
  "claude-sonnet-4-5": { endOfLife: "2026-11-30", successor: "claude-sonnet-4-6" },
  "claude-sonnet-4-5-20250929": { endOfLife: "2026-11-30", successor: "claude-sonnet-4-6" },
  // From SDK 1.14.0, newer than the pinned one.
  "claude-opus-4-5": { endOfLife: "2027-01-22", successor: "claude-opus-4-6" },
  "claude-opus-4-5-20251101": { endOfLife: "2027-01-22", successor: "claude-opus-4-6" },
};

/** A warning for each Anthropic profile whose model is retiring or retired (RETIRING_CLAUDE_MODELS). */
export function checkClaudeModel(view: ConfigView): void {
  const { config, report } = view;
  for (const [name, profile] of Object.entries(config.profiles ?? {})) {
    const retiring = config.backends?.[profile.backend]?.kind === "anthropic" ? retiringModel(name, profile.model) : undefined;
    if (retiring !== undefined) report("profile-model-retiring", ["profiles", name, "model"], retiring.message, retiring.hint, { warning: true });
  }
}

/**
 * The same warnings from a compiled table, as start-up lines: a config compiled before a model's
 * retirement was known, or before its day came near, is not compiled again, and says nothing else.
 */
export function retiringModelWarnings(table: RoutingTable): string[] {
  return Object.values(table.profiles).flatMap((profile) => {
    const retiring = table.backends[profile.backend]?.kind === "anthropic" ? retiringModel(profile.name, profile.model) : undefined;
    return retiring === undefined ? [] : [`mallex: warning: ${retiring.message} (hint: ${retiring.hint})`];
  });
}

function retiringModel(profile: string, model: string): { message: string; hint: string } | undefined {
  const retiring = RETIRING_CLAUDE_MODELS[model];
  if (retiring === undefined) return undefined;
  return {
    message: `profile "${profile}" names ${model}, which Anthropic retires on ${retiring.endOfLife}: from then on every request routed to it fails`,
    hint: `set model: ${retiring.successor} (or another current Claude model) in profile "${profile}"`,
  };
}
