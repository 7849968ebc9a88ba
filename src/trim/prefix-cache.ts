import { createLruMap, type LruMap } from "../lru-map.js";
import type { PromptSource } from "../router/describe-request.js";
import type { AnthropicToolChoice } from "../translate/anthropic-types.js";
import type { TrimmedPrefix } from "./trim-prefix.js";
import type { TrimPlan } from "./trim-types.js";

/**
 * The trimmed system prompt and shaped tools of the prefixes a server has seen. Claude Code sends
 * the same system prompt and tools on every turn, so they are trimmed once per distinct prefix and
 * profile instead of once per request. Keyed by content — the JSON text of `system` and `tools` as
 * the client sent them, compared whole, so two prefixes never share an entry — and bounded (least
 * recently used out). One per server context (see ServerContext.prefixCache), never module-level.
 *
 * Only requests that passed validation are trimmed, so tools the cache knows have passed it too
 * (see checkMessagesBody's `cache`).
 */
export interface PrefixCache {
  /** Whether tools with exactly this JSON text were trimmed before (and so validated). */
  knowsTools(toolsJson: string): boolean;
  /** The prefix for this plan, request parts and tool_choice: the cached one, or `make()`'s, cached. */
  prefix(plan: TrimPlan, source: PromptSource, toolChoice: AnthropicToolChoice | undefined, make: () => TrimmedPrefix): TrimmedPrefix;
  /** Lookups answered from the cache, and those that had to trim. */
  stats(): { hits: number; misses: number };
}

export interface PrefixCacheOptions {
  /** Distinct system prompts and tool lists remembered (each is kept as its JSON text). Default 16. */
  maxParts?: number;
  /** Trimmed prefixes remembered (one per part combination, profile and tool_choice). Default 32. */
  maxPrefixes?: number;
}

interface Entry {
  plan: TrimPlan;
  prefix: TrimmedPrefix;
}

export function createPrefixCache(options: PrefixCacheOptions = {}): PrefixCache {
  const maxParts = options.maxParts ?? 16;
  // A short id per distinct JSON text: entries are keyed on ids, not on 60 KB strings. Ids are
  // never reused, so a text that comes back after being dropped gets a new one.
  const systemIds = createLruMap<string, number>(maxParts);
  const toolsIds = createLruMap<string, number>(maxParts);
  const prefixes = createLruMap<string, Entry>(options.maxPrefixes ?? 32);
  let nextId = 0;
  let hits = 0;
  let misses = 0;
  const idOf = (ids: LruMap<string, number>, json: string | undefined): string => {
    if (json === undefined) return "-";
    let id = ids.get(json);
    if (id === undefined) {
      id = ++nextId;
      // A copy: the request body the text was sliced from is not kept alive by the cache.
      ids.set(copyString(json), id);
    }
    return String(id);
  };
  return {
    knowsTools: (toolsJson) => toolsIds.has(toolsJson),
    prefix(plan, source, toolChoice, make) {
      const key = [plan.profile.name, idOf(systemIds, source.systemJson), idOf(toolsIds, source.toolsJson), toolChoice === undefined ? "" : JSON.stringify(toolChoice)].join("\u0000");
      const cached = prefixes.get(key);
      // The same profile name from another routing table is another plan: trimmed again.
      if (cached !== undefined && samePlan(cached.plan, plan)) {
        hits += 1;
        return cached.prefix;
      }
      misses += 1;
      const prefix = make();
      prefixes.set(key, { plan, prefix });
      return prefix;
    },
    stats: () => ({ hits, misses }),
  };
}

function samePlan(a: TrimPlan, b: TrimPlan): boolean {
  return a.profile === b.profile && a.trimming === b.trimming && a.filters === b.filters && a.tools === b.tools && a.size === b.size;
}

/** A string with its own storage (a slice of a larger string keeps the larger one alive). */
function copyString(text: string): string {
  return Buffer.from(text, "utf16le").toString("utf16le");
}
