import { createLruMap, type LruMap } from "../shared/lru-map.js";
import { copyString, RETENTION_LIMITS } from "../shared/retention-limits.js";
import type { PromptSource } from "../router/describe-request.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import { preambleKey } from "./read-preamble.js";
import { createFilterMemo, type FilterMemo } from "./run-filters.js";
import { createLinePrintMemo, type LinePrintMemo } from "./claude-code/line-print.js";
import { createUserListMemo, type UserListMemo } from "./claude-code/own-list-items.js";
import type { Steps } from "./run-steps.js";
import type { ShapedTools } from "./shape-tools.js";
import type { PrefixContext, TrimmedPrefix } from "./trim-prefix.js";
import type { TrimPlan } from "./trim-types.js";

/**
 * The trimmed system prompt and shaped tools of the prefixes a server has seen. Claude Code sends
 * the same system prompt and tools on every turn, so they are trimmed once per distinct prefix and
 * profile instead of once per request. Keyed by content — the JSON text of `system` and `tools` as
 * the client sent them, compared whole, so two prefixes never share an entry — and bounded (least
 * recently used out). One per server context (see ServerContext.prefixCache), never module-level.
 *
 * Only requests that passed validation are trimmed, so parts the cache knows have passed it too, and
 * their parsed values are kept (frozen: every request with the same text shares them) so that a
 * body whose system prompt and tools are known parses only the rest (see checkMessagesBody's `cache`).
 */
export interface PrefixCache {
  /** The parsed `system` or `tools` of that exact JSON text, when a request with it was trimmed before (and so validated). */
  parsed(part: PromptPart, json: string): unknown;
  /**
   * The same, found by the part's bytes as the body carries them, read as latin1 (one character a
   * byte): its JSON text, parsed value and compact size, without the body's bytes decoded as UTF-8
   * (checkMessagesBody's reading of a body it holds as bytes).
   */
  knownBytes(part: PromptPart, latin1: string): KnownPart | undefined;
  /**
   * The prefix for this plan, the request's parts, tool_choice and context: the cached one, or what
   * `make()` comes to, cached. As Steps, so that trimming a new prefix can pause between its filters.
   */
  prefix(
    plan: TrimPlan,
    source: PromptSource,
    request: Pick<MessagesRequest, PromptPart | "tool_choice">,
    context: PrefixContext,
    make: () => Steps<TrimmedPrefix>,
  ): Steps<TrimmedPrefix>;
  /**
   * The tools shaped for this plan (shapeTools): the cached ones, or what `make()` returns, cached. A
   * new session's first request (another project: another system prompt) brings the same tools as
   * the sessions before it, so they are shaped once per distinct tools text, plan, tool_choice and
   * context, whatever the system prompt (~0.8 ms of its trim). Shared like the prefixes: read-only.
   */
  tools(
    plan: TrimPlan,
    source: PromptSource,
    request: Pick<MessagesRequest, "tools" | "tool_choice">,
    context: PrefixContext,
    make: () => ShapedTools,
  ): ShapedTools;
  /** Lookups answered from the cache, and those that had to trim. */
  stats(): { hits: number; misses: number };
  /** The conversation's filter outcomes by unit (see FilterMemo): the same reminders come every turn. */
  readonly filterOutcomes: FilterMemo;
  /** The user's agents and skills in Claude Code's lists, by unit (see findUserListItemsOnce). */
  readonly userLists: UserListMemo;
  /** System-prompt lines' prints (see LinePrintMemo): a new session's prompt is mostly lines seen before. */
  readonly linePrints: LinePrintMemo;
}

export interface PrefixCacheOptions {
  /** Distinct system prompts and tool lists remembered (each is kept as its JSON text). Default 16. */
  maxParts?: number;
  /** Trimmed prefixes remembered (one per part combination, profile and tool_choice). Default 32. */
  maxPrefixes?: number;
  /**
   * Longest JSON text of a part remembered (default RETENTION_LIMITS.prefixPartChars): a larger one
   * is trimmed on each request, not kept, so the cache holds at most maxParts × 3 of these.
   */
  maxPartChars?: number;
}

export type PromptPart = "system" | "tools";

/** A part's JSON text the cache holds, as it was first read: its parsed value and its size as compact JSON (PromptSource's chars). */
export interface KnownPart {
  json: string;
  value: unknown;
  compactChars: number;
}

/** Parts remembered by their text: the two a body carries, and a Claude Code conversation's opening (collectPreamble). */
type KeyedPart = PromptPart | "preamble";

interface Entry {
  plan: TrimPlan;
  prefix: TrimmedPrefix;
}

/** A distinct JSON text of a part: a short id for the prefix keys, and its parsed value. */
interface Part {
  id: number;
  value: unknown;
}

export function createPrefixCache(options: PrefixCacheOptions = {}): PrefixCache {
  const maxParts = options.maxParts ?? 16;
  // A short id per distinct JSON text: entries are keyed on ids, not on 60 KB strings. Ids are
  // never reused, so a text that comes back after being dropped gets a new one.
  const parts: Record<KeyedPart, LruMap<string, Part>> = { system: createLruMap(maxParts), tools: createLruMap(maxParts), preamble: createLruMap(maxParts) };
  // The same parts by their UTF-8 bytes read as latin1: the JSON text each stands for, and its size.
  const byBytes: Record<PromptPart, LruMap<string, { json: string; compactChars: number }>> = { system: createLruMap(maxParts), tools: createLruMap(maxParts) };
  const prefixes = createLruMap<string, Entry>(options.maxPrefixes ?? 32);
  const shapedTools = createLruMap<string, { plan: TrimPlan; shaped: ShapedTools }>(options.maxPrefixes ?? 32);
  let nextId = 0;
  let hits = 0;
  let misses = 0;
  const maxPartChars = options.maxPartChars ?? RETENTION_LIMITS.prefixPartChars;
  // A part too long to keep gets no id (""): nothing keyed on it is kept.
  const idOf = (part: KeyedPart, json: string | undefined, value: unknown, compactChars?: number): string => {
    if (json === undefined) return "-";
    if (json.length > maxPartChars) return "";
    let known = parts[part].get(json);
    if (known === undefined) {
      known = { id: ++nextId, value: deepFreeze(value) };
      // A copy: the request body the text was sliced from is not kept alive by the cache.
      const kept = copyString(json);
      parts[part].set(kept, known);
      if (part !== "preamble" && compactChars !== undefined) byBytes[part].set(Buffer.from(kept, "utf8").toString("latin1"), { json: kept, compactChars });
    }
    return String(known.id);
  };
  return {
    filterOutcomes: createFilterMemo(),
    userLists: createUserListMemo(),
    linePrints: createLinePrintMemo(),
    parsed: (part, json) => (json.length > maxPartChars ? undefined : parts[part].get(json)?.value),
    knownBytes(part, latin1) {
      const text = latin1.length > maxPartChars ? undefined : byBytes[part].get(latin1);
      if (text === undefined) return undefined;
      // Its text may have been dropped since (least recently used): then it is read again.
      const known = parts[part].get(text.json);
      return known && { json: text.json, value: known.value, compactChars: text.compactChars };
    },
    *prefix(plan, source, request, context, make) {
      const toolChoice = request.tool_choice;
      const preamble = context.preamble.length === 0 ? undefined : preambleKey(context.preamble);
      // Computed before make() runs: while it pauses, other requests' prefixes are looked up.
      const ids = [
        idOf("system", source.systemJson, request.system, source.chars.system),
        idOf("tools", source.toolsJson, request.tools, source.chars.tools),
        idOf("preamble", preamble, null),
      ];
      const uncached = ids.includes("");
      const key = [
        plan.profile.name,
        plan.size,
        ids[0],
        ids[1],
        toolChoice === undefined ? "" : JSON.stringify(toolChoice),
        context.agent ? "agent" : context.claudeCode ? "cc" : "",
        ids[2],
        [...context.loaded].sort().join(","),
        [...(context.alsoOffer ?? [])].sort().join(","),
        // Which lines are Claude Code's decides what of the prompt is the user's, kept whole.
        context.own?.key ?? "",
      ].join("\u0000");
      const cached = prefixes.get(key);
      // The same profile name from another routing table is another plan: trimmed again.
      if (cached !== undefined && samePlan(cached.plan, plan)) {
        hits += 1;
        return cached.prefix;
      }
      misses += 1;
      const prefix = yield* make();
      // A part too long to keep has no id: its prefix (which holds its trimmed text) is not kept either.
      if (!uncached) prefixes.set(key, { plan, prefix });
      return prefix;
    },
    tools(plan, source, request, context, make) {
      const toolsId = idOf("tools", source.toolsJson, request.tools, source.chars.tools);
      if (toolsId === "") return make();
      const toolChoice = request.tool_choice;
      const key = [
        plan.profile.name,
        plan.size,
        toolsId,
        toolChoice === undefined ? "" : JSON.stringify(toolChoice),
        context.claudeCode ? "cc" : "",
        [...context.loaded].sort().join(","),
        [...(context.alsoOffer ?? [])].sort().join(","),
        // A built-in's list item is the user's or Claude Code's by the own lines (withUserItems).
        context.own?.key ?? "",
      ].join("\u0000");
      const cached = shapedTools.get(key);
      if (cached !== undefined && samePlan(cached.plan, plan)) return cached.shaped;
      const shaped = make();
      shapedTools.set(key, { plan, shaped });
      return shaped;
    },
    stats: () => ({ hits, misses }),
  };
}

function samePlan(a: TrimPlan, b: TrimPlan): boolean {
  return a.profile === b.profile && a.trimming === b.trimming && a.filters === b.filters && a.tools === b.tools && a.size === b.size;
}

/** Frozen through and through: a value every request with the same text shares must never change under one of them. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
