import { readChatCompletion } from "../backends/read-chat-completion.js";
import type { CompiledProfile } from "../compile/routing-table.js";
import { buildClassifierBody, CLASSIFIER_MAX_TOKENS, classifierIntents, renderClassifierPrompt, userTurnText } from "../router/classifier-prompt.js";
import { classifyWithModel, type ClassifierCall, type ClassifierOutcome } from "../router/classify-with-model.js";
import { selectRoute, type BackendAvailability, type RouteInput, type RouteResult } from "../router/select-route.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import type { OpenAIChatResponse } from "../translate/openai-types.js";
import { callBackend } from "./call-backend.js";
import { profileTranslateOptions } from "./profile-translate-options.js";
import type { ServerContext } from "./server-context.js";

export interface RouteRequestInput {
  input: RouteInput;
  request: MessagesRequest;
  /** x-claude-code-session-id: the classifier's cache is per session and user turn. */
  sessionId: string | undefined;
  /** The client's: a client that goes away ends the classifier's call. */
  signal: AbortSignal;
  available: BackendAvailability;
}

/**
 * Routes a request by the table's rules and, with `classifier.mode: model`, by user turn: where no
 * rule decides a request (it is `unsure`), it goes where its user turn went (a tool round trip, the
 * same words again in the session), else — the turn's first request — where a rule on the turn's
 * words, or else the classifier profile's model, sends it. The classifier is asked once per turn; a
 * route that needs no call is returned at once, not as a promise. It never fails a request: on a
 * timeout or any failure the rules' tier stands, and the route's reason says why.
 */
export function routeRequest(ctx: ServerContext, { input, request, sessionId, signal, available }: RouteRequestInput): RouteResult | Promise<RouteResult> {
  const routed = selectRoute(input, ctx.table, ctx.rules, available);
  const facts = input.facts;
  if (ctx.table.classifier.mode !== "model" || !routed.ok || facts === undefined) return routed;
  const remember = (text: string, result: RouteResult, byClassifier: boolean) => {
    if (result.ok && result.route.tier !== undefined) ctx.classifierCache.set(sessionId, text, { tier: result.route.tier, reason: result.route.reason, byClassifier });
  };
  // A rule decided: the turn's round trips follow it (an intent with escalate must not apply again on each).
  if (routed.route.byWords && facts.turn === "user") remember(facts.latestUserText, routed, false);
  if (routed.route.unsure !== true) return routed;

  const text = facts.turn === "user" ? facts.latestUserText : userTurnText(request);
  if (text === "") return routed;
  const known = ctx.classifierCache.get(sessionId, text);
  if (known !== undefined) {
    if (known.byClassifier) traceOutcome(ctx, "cached");
    return selectRoute({ ...input, turnRoute: known }, ctx.table, ctx.rules, available);
  }
  // A tool round trip whose turn is not in the cache (evicted, or mallex restarted): its turn's words decide.
  const turnInput: RouteInput = facts.turn === "user" ? input : { ...input, facts: { ...facts, latestUserText: text, turn: "user" } };
  if (turnInput !== input) {
    const byRules = selectRoute(turnInput, ctx.table, ctx.rules, available);
    if (!byRules.ok || byRules.route.unsure !== true) {
      remember(text, byRules, false);
      return byRules;
    }
  }
  return askClassifier(ctx, text, signal, available).then((call) => {
    traceOutcome(ctx, call.outcome);
    if (call.detail !== undefined) ctx.log(`classifier (profile ${ctx.table.classifier.profile}): ${call.detail}; routed by the rules`);
    const result = selectRoute({ ...turnInput, classified: call.verdict }, ctx.table, ctx.rules, available);
    // A client that went away says nothing about the turn: its next request asks again.
    if (call.outcome !== "cancelled") remember(text, result, true);
    return result;
  });
}

/** One call to the classifier profile's backend, or why none could be made. */
function askClassifier(ctx: ServerContext, text: string, signal: AbortSignal, available: BackendAvailability): Promise<ClassifierCall> {
  const { classifier } = ctx.table;
  const intents = classifierIntents(ctx.table.intents);
  // mallex compile refuses mode model without both (check-references.ts).
  const profile = ctx.table.profiles[classifier.profile!]!;
  const backend = ctx.backends[profile.backend]!;
  const cannot = (detail: string): Promise<ClassifierCall> => Promise.resolve({ outcome: "error", verdict: { ok: false, problem: "the call failed" }, detail });
  if (backend.kind !== "openai") return cannot(`profile ${profile.name} is on backend ${backend.name}, not a local OpenAI-compatible one`);
  const status = available(backend.name);
  if (!status.ok) return cannot(`backend ${backend.name} cannot serve: ${status.reason}`);
  const prompt = renderClassifierPrompt(text, intents, ctx.templates, classifier.template!);
  return classifyWithModel({
    body: buildClassifierBody(prompt, profileTranslateOptions(profile, backend.flavor)),
    intentIds: intents.map((intent) => intent.id),
    timeoutMs: classifier.timeoutMs,
    signal,
    complete: (body, callSignal) => completeOn(ctx, profile, body, callSignal),
  });
}

/**
 * The classifier's call as any local call is made (callBackend): a slot in the backend's queue,
 * its server started when mallex supervises it (an answer in one piece is not watched for progress).
 */
async function completeOn(ctx: ServerContext, profile: CompiledProfile, body: string, signal: AbortSignal): Promise<OpenAIChatResponse> {
  const upstream = await callBackend(ctx, profile, body, signal, { streamed: false });
  try {
    return await readChatCompletion(upstream.response, ctx.backends[profile.backend]!, CLASSIFIER_MAX_TOKENS);
  } finally {
    upstream.release();
  }
}

/** Counted with the request when it ends (request-metrics.ts). */
function traceOutcome(ctx: ServerContext, outcome: ClassifierOutcome): void {
  if (ctx.trace) ctx.trace.classifier = outcome;
}
