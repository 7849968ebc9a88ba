import type { ServerFacts } from "../../backends/server-facts.js";
import { TIER_ORDER, type RoutingTable } from "../../compile/routing-table.js";
import { reachableProfiles } from "./reachable-profiles.js";

/** One local profile's context as the dashboard and `mallex status` show it: what is in effect now, and why. */
export interface ContextSummary {
  profile: string;
  backend: string;
  /** The model that serves it in place of its own (`--embedded`: the GGUF's name); absent: its own. */
  served?: string;
  /**
   * The tiers that use it, and `classifier` when it classifies; empty for a profile only an alias
   * reaches (a client must name a model matching `aliases`: Claude Code under `mallex run` never does).
   * Absent from an older mallex.
   */
  usedBy?: string[];
  /** The alias globs that reach it, when no tier uses it. */
  aliases?: string[];
  /** Tokens one request may hold, prompt and answer together (absent: none declared, and its server has said none yet). */
  contextWindow?: number;
  /** The prompt budget trimming aims for (absent: none). */
  inputBudget?: number;
  /**
   * Where the window comes from: the server's facts source ("llama-server GET /props") when the
   * window is what the server holds, "declared" when the config's context_window stands, "engine
   * context size" when it is the embedded engine's --ctx-size (set or planned) before the engine
   * said so itself, "unknown" when there is none.
   */
  source: string;
  /** The config's context_window, where the server lowered it. */
  declared?: number;
  /** What the server holds, where it holds more than the declared window that stands. */
  serverHolds?: number;
}

export interface ContextSummaryInput {
  /** The table mallex started with: the config's declared windows (an embedded engine's planned one fitted in). */
  declared: RoutingTable;
  /** The table in effect now (ServerContext.table): refitted each time a server says something new. */
  current: RoutingTable;
  /** What the server behind a backend said for a model (ServerFactsStore.get); absent: no store. */
  factsOf?: (backend: string, model: string) => ServerFacts | undefined;
}

/**
 * Pure: each local profile a request can reach (a tier's, the classifier's, an alias's), in the
 * config's order, with its window and prompt budget in effect, where the window comes from, and who
 * uses it: one only an alias reaches is marked so, not shown as if a tier ran it. Unreachable
 * profiles are left out: a shipped config lists a dozen for other machines.
 */
export function summarizeContexts(input: ContextSummaryInput): ContextSummary[] {
  const { current } = input;
  const reachable = reachableProfiles(current);
  return Object.entries(current.profiles).flatMap(([key, profile]): ContextSummary[] => {
    if (!reachable.has(key) || current.backends[profile.backend]?.kind !== "openai") return [];
    const declared = input.declared.profiles[key]?.contextWindow;
    const facts = input.factsOf?.(profile.backend, profile.model);
    const held = facts?.contextWindow;
    const window = profile.contextWindow;
    const usedBy = [
      ...TIER_ORDER.filter((tier) => current.tiers[tier]?.profile === key),
      ...(current.classifier.mode === "model" && current.classifier.profile === key ? ["classifier"] : []),
    ];
    const aliases = current.routing.aliases.filter((alias) => alias.profile === key).map((alias) => alias.glob);
    const base = {
      profile: profile.name,
      backend: profile.backend,
      ...(profile.servedName === undefined ? {} : { served: profile.servedName }),
      usedBy,
      ...(usedBy.length === 0 && aliases.length > 0 ? { aliases } : {}),
      ...(window === undefined ? {} : { contextWindow: window }),
      // Untrimmed (trim: false), no budget applies: the dashboard and `mallex status` must not claim one.
      ...(profile.inputBudget === undefined || profile.trim === false ? {} : { inputBudget: profile.inputBudget }),
    };
    if (facts !== undefined && held !== undefined && held === window)
      return [{ ...base, source: facts.source, ...(declared !== undefined && declared > held ? { declared } : {}) }];
    const more = held !== undefined && window !== undefined && held > window ? { serverHolds: held } : {};
    if (window === undefined) return [{ ...base, source: "unknown" }];
    // --embedded with --ctx-size (or a planned one) fitted the window before the engine started and said so.
    if (current.backends[profile.backend]?.flavor === "embedded" && profile.engine?.contextSize === window && declared === window)
      return [{ ...base, source: "engine context size", ...more }];
    return [{ ...base, source: "declared", ...more }];
  });
}
