import type { TierName } from "../../generated/config.js";
import { type CompiledProfile, type RoutingTable, TIER_ORDER } from "../compile/routing-table.js";
import type { ClassifierVerdict, TurnRoute } from "./classifier-verdict.js";
import type { IntentRule, RouterRules } from "./compile-rules.js";
import type { RequestFacts } from "./describe-request.js";
import type { Stall } from "./detect-stall.js";
import { matchIntent } from "./match-intent.js";
import { clipText, RETENTION_LIMITS } from "../shared/retention-limits.js";
import { formatSeconds, predictTtft, type LearnedRates, type TtftPrediction } from "./predict-ttft.js";
import type { SessionPrompts } from "./session-prompts.js";

/** Whether a backend can take requests now, and if not, why (said to the user when nothing else can). */
/** Whether a backend may take a request now; not: why, and when a retry may find it back (`retryAfterMs`; absent: not by waiting). */
export type BackendAvailability = (backend: string) => { ok: true } | { ok: false; reason: string; retryAfterMs?: number };

export interface RouteDecision {
  profile: CompiledProfile;
  tier?: TierName;
  /** How the route was chosen, for the request log: e.g. "intent chit_chat → low", "model *haiku* → low". */
  reason: string;
  /** Tiers skipped on the way, each with why. */
  skipped: string[];
  /**
   * No rule decided: the tier is the default (or sticky) one, and the request had content a model
   * classifier could read. Absent once a classifier verdict or a turn's route was given.
   */
  unsure?: true;
  /** The tier came from the user's words: an intent rule, or the classifier's verdict (whatever it was). */
  byWords?: true;
}

/** Not routed: why, and `retryAfterMs` when waiting may help (a backend it could use is cooling down). */
export type RouteResult = { ok: true; route: RouteDecision } | { ok: false; message: string; retryAfterMs?: number };

export interface RouteInput {
  model: string;
  /** What the request says, for intents; absent: route on the model name alone (GET /v1/models/{id}). */
  facts?: RequestFacts;
  /** The tier this conversation was on last, for escalation. */
  sessionTier?: TierName;
  /** The model classifier's verdict on this turn, asked because no rule decided (a first route was `unsure`). */
  classified?: ClassifierVerdict;
  /** Where this request's user turn went before (a tool round trip, the same words again): no rule decided this request, so it goes there too. */
  turnRoute?: TurnRoute;
}

/**
 * Picks the profile for a request: the profile the model names, else a profile alias matching the
 * model name, else a model-name rule, else the first matching intent, else where the user turn
 * went before (`turnRoute`), else the model classifier's intent when one was asked (`classified`),
 * else the default tier; then follows fallbacks past tiers whose backend cannot serve (the Anthropic
 * API without a key, an unreachable local server); a request whose history shows the model stalled
 * then goes one tier up (see escalateOnStall). A profile named outright is what the client asked for: when its backend
 * cannot serve, the answer says so rather than routing elsewhere. Pure.
 */
export function selectRoute(input: RouteInput, table: RoutingTable, rules: RouterRules, available: BackendAvailability): RouteResult {
  if (Object.hasOwn(table.profiles, input.model)) {
    const profile = table.profiles[input.model]!;
    const status = available(profile.backend);
    if (!status.ok)
      return {
        ok: false,
        message: `Profile ${profile.name} (named by the request's model) cannot serve this request: ${status.reason}.`,
        ...(status.retryAfterMs === undefined ? {} : { retryAfterMs: status.retryAfterMs }),
      };
    return { ok: true, route: { profile, reason: `model ${named(input.model)} is a profile`, skipped: [] } };
  }
  const alias = rules.aliases.find((a) => a.pattern.test(input.model));
  if (alias) {
    const profile = table.profiles[alias.profile]!;
    const status = available(profile.backend);
    if (status.ok) return { ok: true, route: { profile, reason: `model ${named(input.model)} is an alias of ${profile.name}`, skipped: [] } };
  }

  let tier: TierName;
  let reason: string;
  const modelRule = rules.models.find((m) => m.pattern.test(input.model));
  const matched = modelRule || !input.facts ? undefined : matchIntent(rules.intents, input.facts);
  // A turn's earlier route, then the classifier, only speak where no rule did.
  const turnRoute = modelRule || matched ? undefined : input.turnRoute;
  const verdict = modelRule || matched || turnRoute ? undefined : input.classified;
  const intent = matched ?? (verdict?.ok && verdict.intent !== undefined ? rules.intents.find((i) => i.id === verdict.intent) : undefined);
  const by = matched ? "intent" : "classifier intent";
  if (modelRule) {
    tier = modelRule.tier;
    reason = `model ${named(input.model)} → ${tier}`;
  } else if (turnRoute) {
    tier = turnRoute.tier;
    reason = `${turnRoute.reason} (cached)`;
  } else if (intent && "tier" in intent.route) {
    tier = intent.route.tier;
    reason = `${by} ${nameIntent(intent, input.facts)} → ${tier}`;
  } else if (intent && "escalate" in intent.route) {
    tier = escalate(input.sessionTier ?? table.routing.defaultTier, intent.route.escalate, table);
    reason = `${by} ${nameIntent(intent, input.facts)} escalates ${input.sessionTier ?? table.routing.defaultTier} → ${tier}`;
  } else {
    tier =
      table.routing.stickyEscalation && input.sessionTier && rank(input.sessionTier) > rank(table.routing.defaultTier)
        ? input.sessionTier
        : table.routing.defaultTier;
    reason = tier === table.routing.defaultTier ? `default → ${tier}` : `sticky escalation → ${tier}`;
    if (verdict) reason += ` (classifier: ${verdict.ok ? "no intent fits" : verdict.problem})`;
  }
  const unsure = !modelRule && !matched && !turnRoute && !verdict && input.facts !== undefined;
  // An intent on the request's effort decided by a setting, not by the words: its turn is not remembered by them.
  const flags = unsure ? { unsure: true as const } : (matched && matched.effort === undefined) || verdict ? { byWords: true as const } : {};

  const served = serveTier(tier, table, available);
  if (!served.ok)
    return {
      ok: false,
      message: `No backend can serve this request: ${served.skipped.join("; ")}.`,
      ...(served.retryAfterMs === undefined ? {} : { retryAfterMs: served.retryAfterMs }),
    };
  const route: RouteDecision & { tier: TierName } = {
    profile: served.profile,
    tier: served.tier,
    reason: served.skipped.length ? `${reason} → fallback ${served.tier}` : reason,
    skipped: served.skipped,
    ...flags,
  };
  const stall = table.routing.escalateOnStall ? input.facts?.stall : undefined;
  return { ok: true, route: stall ? escalateOnStall(route, stall, table, available) : route };
}

/** An intent's id, with the effort it matched on when it has an effort condition: `effort_low (effort low)`. */
function nameIntent(intent: IntentRule, facts: RequestFacts | undefined): string {
  return intent.effort !== undefined && facts?.effort !== undefined ? `${intent.id} (effort ${facts.effort})` : intent.id;
}

type ServedTier = { ok: true; profile: CompiledProfile; tier: TierName; skipped: string[] } | { ok: false; skipped: string[]; retryAfterMs?: number };

/** The first tier along `tier`'s fallbacks whose backend can serve, with the tiers skipped on the way and why. */
function serveTier(tier: TierName, table: RoutingTable, available: BackendAvailability): ServedTier {
  const skipped: string[] = [];
  // The soonest any skipped backend may take requests again.
  let retryAfterMs: number | undefined;
  const visited = new Set<TierName>();
  let current: TierName | undefined = tier;
  while (current !== undefined && !visited.has(current)) {
    visited.add(current);
    const entry: RoutingTable["tiers"][TierName] | undefined = table.tiers[current];
    if (!entry) break;
    const profile = table.profiles[entry.profile]!;
    const status = available(profile.backend);
    if (status.ok) return { ok: true, profile, tier: current, skipped };
    skipped.push(`${current} (${profile.name}): ${status.reason}`);
    if (status.retryAfterMs !== undefined) retryAfterMs = Math.min(retryAfterMs ?? Infinity, status.retryAfterMs);
    current = entry.fallback;
  }
  return { ok: false, skipped, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

/**
 * A stalled model's request (`routing.escalate_on_stall`) goes one declared tier up from where it was
 * routed, along that tier's fallbacks, as an intent with `escalate: 1` would; the tier is the
 * session's from then on (sticky_escalation), so the stronger model keeps the task. When nothing above
 * can serve — no tier above, or the one above falls back to this one or lower — it stays, and the
 * reason says so: the same route for a stuck model with nowhere to go must not look like a normal one.
 */
function escalateOnStall(route: RouteDecision & { tier: TierName }, stall: Stall, table: RoutingTable, available: BackendAvailability): RouteDecision {
  const up = escalate(route.tier, 1, table);
  if (up === route.tier) return { ...route, reason: `${route.reason}; stalled: ${stall.detail}, but no tier is above ${route.tier}` };
  const served = serveTier(up, table, available);
  const skipped = [...route.skipped, ...served.skipped];
  if (served.ok && rank(served.tier) > rank(route.tier)) {
    return {
      ...route,
      profile: served.profile,
      tier: served.tier,
      reason: `stalled: ${stall.detail} → ${up}${served.tier === up ? "" : ` → fallback ${served.tier}`}`,
      skipped,
    };
  }
  return { ...route, reason: `${route.reason}; stalled: ${stall.detail}, but no tier above ${route.tier} can serve (${served.skipped.join("; ")})`, skipped };
}

/**
 * Where a model name alone routes (no request content, so no intent): a profile's name, a name an
 * alias or a model-name rule matches, or a Claude model name (what the default tier is for: Claude
 * Code sends those). Undefined for any other name: the models endpoint answers 404 for it, as the
 * API does for a model it does not have.
 */
export function routeModelName(model: string, table: RoutingTable, rules: RouterRules, available: BackendAvailability): RouteResult | undefined {
  const routes =
    Object.hasOwn(table.profiles, model) ||
    [...rules.aliases, ...rules.models].some((rule) => rule.pattern.test(model)) ||
    /^claude-/i.test(model) ||
    model.startsWith(LOCAL_MODEL_PREFIX);
  return routes ? selectRoute({ model }, table, rules, available) : undefined;
}

/**
 * Names under this prefix (`mallex/qwen3-coder-30b`, what `mallex run` gives Claude Code as its
 * model) are routed like any model name — tiers, intents, escalation — and never pin the profile
 * they name, which is only there for Claude Code's header. They exist because Claude Code takes a
 * local context window only for a name that is not a Claude one.
 */
export const LOCAL_MODEL_PREFIX = "mallex/";

const rank = (tier: TierName) => TIER_ORDER.indexOf(tier);

/** Moves `steps` declared tiers up from `from`, stopping at the highest declared tier. */
function escalate(from: TierName, steps: number, table: RoutingTable): TierName {
  const declared = TIER_ORDER.filter((t) => table.tiers[t] !== undefined);
  const above = declared.filter((t) => rank(t) > rank(from));
  return above[Math.min(steps, above.length) - 1] ?? from;
}

/**
 * The first declared tier above the route's whose profile can take a longer prompt — the Anthropic
 * API, or a local profile with a larger input budget — and whose backend can serve: where a request
 * goes when it does not fit its profile even after trimming. Undefined when there is none.
 */
export function escalateForBudget(route: RouteDecision, table: RoutingTable, available: BackendAvailability): RouteDecision | undefined {
  if (route.tier === undefined) return undefined;
  const budget = route.profile.inputBudget ?? Infinity;
  for (const tier of TIER_ORDER.slice(rank(route.tier) + 1)) {
    const entry = table.tiers[tier];
    const profile = entry ? table.profiles[entry.profile] : undefined;
    if (!profile || !available(profile.backend).ok) continue;
    const longer = table.backends[profile.backend]?.kind === "anthropic" || (profile.inputBudget ?? Infinity) > budget;
    if (longer) return { profile, tier, reason: `${route.reason} → too long for ${route.profile.name}, escalated to ${tier}`, skipped: [] };
  }
  return undefined;
}

/** The client's model as a reason quotes it: the route header, the log, the metrics and 200 dashboard summaries carry reasons. */
function named(model: string): string {
  return clipText(model, RETENTION_LIMITS.modelChars);
}

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
