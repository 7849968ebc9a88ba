import { describeRequest } from "../router/describe-request.js";
import type { RouteDecision } from "../router/select-route.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import { clipText, RETENTION_LIMITS } from "../shared/retention-limits.js";
import { readAnswer } from "./answer.js";
import { messageResponse } from "./sse-response.js";
import { callBackend } from "./call-backend.js";
import { checkConversation, parseBetas } from "./check-conversation.js";
import { checkMessagesBody } from "./check-messages-body.js";
import { declineThread } from "./decline-thread.js";
import { errorResponse } from "./error-response.js";
import { describeFailure, isRefusal, refusal, type Refusal } from "./refusal.js";
import { retryAfterSeconds } from "../shared/retry-after-seconds.js";
import { passThroughToAnthropic } from "./pass-through-to-anthropic.js";
import { planLocalCall, type AnsweringCall, type PreparedCall } from "./plan-local-call.js";
import { routeRequest } from "./route-request.js";
import type { RequestScope } from "./request-scope.js";

/**
 * The body, handed over: its text, or its bytes where it was small enough to be kept so
 * (readLimitedBody). handleMessages empties it once parsed (a 30 MB prompt is then one copy fewer
 * while the request goes on).
 */
export interface RequestBody {
  content: string | Buffer;
}

/**
 * POST /v1/messages, in the order it happens: admit → route → plan the call → call the backend →
 * answer (streamed or whole) → the failure reply. A step returns what the request earned (a
 * {@link Refusal}: a bad body, no route, over every budget) and throws only what it could not do
 * (a backend that failed, a profile that cannot take the request, a bug); both are answered here,
 * once, as Anthropic's error.
 */
export function handleMessages(scope: RequestScope, headers: Headers, body: RequestBody): Promise<Response> {
  // Made here, not in messagesSequence: a closure made there would share that frame's context, which
  // holds the request, and these live as long as the answer.
  const at: RequestPlace = {};
  return messagesSequence(scope, headers, body, at).then(
    (answer) => (isRefusal(answer) ? failureReply(scope, answer) : answer),
    (error: unknown) => failureReply(scope, describeFailure(error, scope, at.routeLabel)),
  );
}

/**
 * The one failure reply: the refusal as Anthropic's error, its sentence kept on the request's trace
 * (the dashboard, `mallex status` and `mallex eval` then say why it failed instead of its status).
 */
function failureReply({ id, record }: RequestScope, { status, message, options }: Refusal): Response {
  record.happened({ type: "refused", message });
  return errorResponse(status, message, { ...options, requestId: id });
}

/** Where a request got to: its route's words for the log, once it has one. */
interface RequestPlace {
  routeLabel?: string;
}

/**
 * The sequence. Everything up to the upstream body lives in this frame (synchronous, but for the
 * classifier's call and the event-loop turns a long trim gives other clients): what awaits the
 * backend, and then streams its answer ({@link callAndAnswer}), holds only the {@link AnsweringCall} —
 * never the body's text, the parsed request, the trimmed one or (once its headers are in) the
 * upstream body, which GC frees while the answer streams.
 */
async function messagesSequence(scope: RequestScope, headers: Headers, body: RequestBody, at: RequestPlace): Promise<Response | Refusal> {
  const { server, record, session } = scope;
  // 1. Admit: the body parsed and checked against the API's schema, a thread declined, the conversation's rules checked.
  const chars = body.content.length;
  const check = checkMessagesBody(body.content, server.validateMessages, { cache: server.prefixCache });
  // Parsed, the body is garbage: nothing holds it while the request is routed and serialized again,
  // and a large one is collected before the upstream body is made.
  body.content = "";
  server.collectAfter?.(chars, "now");
  if (!check.ok) return refusal(400, check.message, { retry: false });
  const { request, source } = check;
  // What the summaries, logs and metrics keep of the client's model: a name, not whatever it sent.
  record.happened({ type: "read", model: clipText(request.model, RETENTION_LIMITS.modelChars) });
  const thread = declineThread(request);
  if (thread) return refusal(400, thread.message, { retry: false, details: thread.details });
  const broken = checkConversation(request, { betas: parseBetas(headers.get("anthropic-beta")) });
  if (broken) return refusal(400, broken, { retry: false });

  // 2. Route: by the table's rules; where none decides, the model classifier may be asked (classifier.mode model).
  const facts = describeRequest(request, source);
  if (session) server.onSession?.(session);
  const sessionTier = session ? server.sessions.get(session) : undefined;
  const routed = await routeRequest(scope, { model: request.model, facts, sessionTier }, request);
  if (routed.classifier !== undefined) record.happened({ type: "classified", outcome: routed.classifier });
  if (!routed.ok) {
    scope.log(`${clipText(request.model, RETENTION_LIMITS.modelChars)} · no route · ${routed.message}`);
    // A backend cooling down is back after its cool-down: then a retry helps, told when.
    return refusal(
      503,
      routed.message,
      routed.retryAfterMs === undefined ? { retry: false } : { retry: true, retryAfter: retryAfterSeconds(routed.retryAfterMs) },
    );
  }
  if (session && routed.route.tier) server.sessions.set(session, routed.route.tier);

  // 3. Plan the call: passed through to the Anthropic API, or trimmed and translated for a local
  // backend; a request over its route's budget, or predicted too slow to start answering, goes up a tier.
  for (let route = routed.route; ;) {
    const routeLabel = (at.routeLabel = labelOf(scope, request, route));
    record.happened({ type: "routed", route });
    if (server.backends[route.profile.backend]!.kind === "anthropic") return passThroughToAnthropic(scope, headers, { request, route, routeLabel });
    const plan = await planLocalCall(scope, { request, source, route, routeLabel, charsIn: facts.chars, userAgent: headers.get("user-agent") ?? undefined });
    if (plan.kind === "escalate") {
      route = plan.route;
      continue;
    }
    if (plan.kind === "refuse") return plan.refusal;
    if (plan.kind === "answer") return messageResponse(plan.message, request.stream === true);
    // 4. Call the backend and 5. answer: from here on, nothing holds the request.
    return callAndAnswer(scope, plan.call);
  }
}

/** The route as the request's log lines name it. --embedded or a --server-command may run another model than the profile names: the log says which one answers. */
function labelOf({ server }: RequestScope, request: MessagesRequest, route: RouteDecision): string {
  const command = server.backends[route.profile.backend]!.supervised ? server.supervisors?.modelFor(route.profile) : undefined;
  const served = route.profile.servedName ?? (command !== undefined && command !== route.profile.model ? command : undefined);
  return `${clipText(request.model, RETENTION_LIMITS.modelChars)} → ${route.profile.name}${served !== undefined ? ` on ${served}` : ""} (${route.reason})`;
}

/**
 * The planned call sent to its backend, and its answer read. Sent from here, not from readAnswer:
 * what awaits the answer (readAnswer, for as long as it streams) holds neither the upstream body nor,
 * through the queue's session key, the request (a 30 MB prompt was both, for the whole answer). A
 * forced call keeps its key: its retries queue again.
 */
function callAndAnswer(scope: RequestScope, call: PreparedCall): Promise<Response | Refusal> {
  const { upstreamBody, queueSession, ...rest } = call;
  const answering: AnsweringCall = rest.forced === undefined ? rest : { ...rest, queueSession };
  const calling = callBackend(scope, answering.route.profile, upstreamBody, {
    streamed: answering.streamUpstream,
    poolSession: answering.poolSession,
    queueSession,
    ...(answering.restoresPrefixAfter === undefined ? {} : { restoresPrefixAfter: answering.restoresPrefixAfter }),
    ...(answering.opensWithPrefix === true ? { opensWithPrefix: true } : {}),
  });
  return readAnswer(scope, answering, calling);
}
