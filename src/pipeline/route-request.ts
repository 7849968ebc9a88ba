import { readChatCompletion } from "../backends/read-chat-completion.js";
import type { CompiledProfile } from "../compile/routing-table.js";
import { buildClassifierBody, CLASSIFIER_MAX_TOKENS, classifierIntents, renderClassifierPrompt, userTurnText } from "../router/classifier-prompt.js";
import { classifyWithModel, type ClassifierCall, type ClassifierOutcome } from "../router/classify-with-model.js";
import { selectRoute, type RouteInput, type RouteResult } from "../router/select-route.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import type { OpenAIChatResponse } from "../translate/openai-types.js";
import { callBackend } from "./call-backend.js";
import { profileTranslateOptions } from "./profile-translate-options.js";
import type { RequestScope } from "./request-scope.js";
import type { MaybePromise } from "../shared/maybe-promise.js";

/**
 * Routes a request by the table's rules and, with `classifier.mode: model`, by user turn: where no
 * rule decides a request (it is `unsure`), it goes where its user turn went (a tool round trip, the
 * same words again in the session), else — the turn's first request — where a rule on the turn's
 * words, or else the classifier profile's model, sends it. The classifier is asked once per turn; a
 * route that needs no call is returned at once, not as a promise. It never fails a request: on a
 * timeout or any failure the rules' tier stands, and the route's reason says why. The classifier's
 * cache is per session (the scope's) and user turn; a client that goes away ends its call.
 * `classifier`: how the classifier was consulted, for the request's record (absent: it was not).
 */
export function routeRequest(scope: RequestScope, input: RouteInput, request: MessagesRequest): MaybePromise<RouteResult & { classifier?: ClassifierOutcome }> {
  const { table, server, session: sessionId, available } = scope;
  const select = (routeInput: RouteInput) => selectRoute(routeInput, table, server.rules, available);
  const routed = select(input);
  const facts = input.facts;
  if (table.classifier.mode !== "model" || !routed.ok || facts === undefined) return routed;
  const remember = (text: string, result: RouteResult, byClassifier: boolean) => {
    if (result.ok && result.route.tier !== undefined)
      server.classifierCache.set(sessionId, text, { tier: result.route.tier, reason: result.route.reason, byClassifier });
  };
  // A rule decided: the turn's round trips follow it (an intent with escalate must not apply again on each).
  if (routed.route.byWords && facts.turn === "user") remember(facts.latestUserText, routed, false);
  if (routed.route.unsure !== true) return routed;

  const text = facts.turn === "user" ? facts.latestUserText : userTurnText(request);
  if (text === "") return routed;
  const known = server.classifierCache.get(sessionId, text);
  if (known !== undefined) {
    const result = select({ ...input, turnRoute: known });
    return known.byClassifier ? { ...result, classifier: "cached" } : result;
  }
  // A tool round trip whose turn is not in the cache (evicted, or mallex restarted): its turn's words decide.
  const turnInput: RouteInput = facts.turn === "user" ? input : { ...input, facts: { ...facts, latestUserText: text, turn: "user" } };
  if (turnInput !== input) {
    const byRules = select(turnInput);
    if (!byRules.ok || byRules.route.unsure !== true) {
      remember(text, byRules, false);
      return byRules;
    }
  }
  return askClassifier(scope, text).then((call) => {
    if (call.detail !== undefined) scope.log(`classifier (profile ${table.classifier.profile}): ${call.detail}; routed by the rules`);
    const result = select({ ...turnInput, classified: call.verdict });
    // A client that went away says nothing about the turn: its next request asks again.
    if (call.outcome !== "cancelled") remember(text, result, true);
    return { ...result, classifier: call.outcome };
  });
}

/** One call to the classifier profile's backend, or why none could be made. */
function askClassifier(scope: RequestScope, text: string): Promise<ClassifierCall> {
  const { table, server, available } = scope;
  const { classifier } = table;
  const intents = classifierIntents(table.intents);
  // mallex compile refuses mode model without both (check-references.ts).
  const profile = table.profiles[classifier.profile!]!;
  const backend = server.backends[profile.backend]!;
  const cannot = (detail: string): Promise<ClassifierCall> => Promise.resolve({ outcome: "error", verdict: { ok: false, problem: "the call failed" }, detail });
  if (backend.kind !== "openai") return cannot(`profile ${profile.name} is on backend ${backend.name}, not a local OpenAI-compatible one`);
  const status = available(backend.name);
  if (!status.ok) return cannot(`backend ${backend.name} cannot serve: ${status.reason}`);
  const prompt = renderClassifierPrompt(text, intents, server.templates, classifier.template!);
  return classifyWithModel({
    body: buildClassifierBody(prompt, profileTranslateOptions(profile, backend.flavor)),
    intentIds: intents.map((intent) => intent.id),
    timeoutMs: classifier.timeoutMs,
    signal: scope.signal,
    complete: (body, callSignal) => completeOn(scope, profile, body, callSignal),
  });
}

/**
 * The classifier's call as any local call is made (callBackend): a slot in the backend's queue,
 * its server started when mallex supervises it (an answer in one piece is not watched for progress).
 */
async function completeOn(scope: RequestScope, profile: CompiledProfile, body: string, signal: AbortSignal): Promise<OpenAIChatResponse> {
  const upstream = await callBackend(scope, profile, body, { signal, streamed: false });
  try {
    return await readChatCompletion(upstream.response, scope.server.backends[profile.backend]!, CLASSIFIER_MAX_TOKENS);
  } finally {
    upstream.release();
  }
}
