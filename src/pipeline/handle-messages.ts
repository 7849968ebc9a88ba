import { describeRequest, type PromptSource } from "../router/describe-request.js";
import type { RouteDecision } from "../router/select-route.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import { clipText, RETENTION_LIMITS } from "../shared/retention-limits.js";
import { answerWhole } from "./answer-whole.js";
import { backendAvailability } from "./backend-availability.js";
import { checkConversation, parseBetas } from "./check-conversation.js";
import { collectStreamedAnswer } from "./collect-streamed-answer.js";
import { callBackend, type Upstream } from "./call-backend.js";
import { declineThread } from "./decline-thread.js";
import { failureResponse } from "./describe-failure.js";
import { endOfCall } from "./end-of-call.js";
import { answerError } from "./error-response.js";
import { passThroughToAnthropic } from "./pass-through-to-anthropic.js";
import { planLocalCall, type AnsweringCall, type LocalCallPlan, type PreparedCall } from "./plan-local-call.js";
import { routeRequest } from "./route-request.js";
import type { ServerContext } from "./server-context.js";
import { settledWithin } from "../shared/settled-within.js";
import { streamAnswer } from "./stream-answer.js";
import { checkMessagesBody } from "./check-messages-body.js";

/** The body's text, handed over: handleMessages empties it once parsed (a 30 MB prompt is then one copy fewer while the request goes on). */
export interface BodyText {
  text: string;
}

/**
 * POST /v1/messages: validate → route → translate → call the backend → translate back (streamed).
 *
 * Everything up to the upstream body lives in {@link planLocalCall}'s frame (synchronous, but for
 * the event-loop turns a long trim gives other clients): what awaits the backend, and then streams its answer, holds only the {@link AnsweringCall} — never
 * the body's text, the parsed request, the trimmed one or (once its headers are in) the upstream
 * body, which GC frees while the answer streams.
 */
export async function handleMessages(req: Request, body: BodyText, ctx: ServerContext): Promise<Response> {
  const chars = body.text.length;
  const check = checkMessagesBody(body.text, ctx.validateMessages, { cache: ctx.prefixCache });
  // Parsed, the text is garbage: nothing holds it while the request is routed and serialized again,
  // and a large one is collected before the upstream body is made.
  body.text = "";
  ctx.collectAfter?.(chars, "now");
  if (!check.ok) return answerError(ctx, 400, check.message, { retry: false });
  const request = check.request;
  // What the summaries, logs and metrics keep of the client's model: a name, not whatever it sent.
  if (ctx.trace) ctx.trace.model = clipText(request.model, RETENTION_LIMITS.modelChars);
  const thread = declineThread(request);
  if (thread) return answerError(ctx, 400, thread.message, { retry: false, details: thread.details });
  const broken = checkConversation(request, { betas: parseBetas(req.headers.get("anthropic-beta")) });
  if (broken) return answerError(ctx, 400, broken, { retry: false });

  const facts = describeRequest(request, check.source);
  const sessionId = req.headers.get("x-claude-code-session-id") ?? undefined;
  const sessionTier = sessionId ? ctx.sessions.get(sessionId) : undefined;
  // Where no rule decides, the model classifier may be asked (classifier.mode model): only then is there an await.
  const routing = routeRequest(ctx, { input: { model: request.model, facts, sessionTier }, request, sessionId, signal: req.signal, available: (name) => backendAvailability(ctx, name) });
  const routed = routing instanceof Promise ? await routing : routing;
  if (!routed.ok) {
    ctx.log(`${clipText(request.model, RETENTION_LIMITS.modelChars)} · no route · ${routed.message}`);
    return answerError(ctx, 503, routed.message, { retry: false });
  }
  if (sessionId && routed.route.tier) ctx.sessions.set(sessionId, routed.route.tier);
  return dispatch(req, ctx, request, check.source, routed.route, facts.chars);
}

/** The routed request to its backend: passed through to the Anthropic API, or prepared and called locally (its route may escalate while it is prepared). */
function dispatch(req: Request, ctx: ServerContext, request: MessagesRequest, source: PromptSource, route: RouteDecision, charsIn: number): Response | Promise<Response> {
  const backend = ctx.backends[route.profile.backend]!;
  if (ctx.trace) ctx.trace.route = route;
  // A --server-command may run another model than the profile names: the log says which one answers.
  const served = backend.supervised ? ctx.supervisors?.modelFor(route.profile) : undefined;
  const routeLabel = `${clipText(request.model, RETENTION_LIMITS.modelChars)} → ${route.profile.name}${served !== undefined && served !== route.profile.model ? ` on ${served}` : ""} (${route.reason})`;
  if (backend.kind === "anthropic") return passThroughToAnthropic(req, ctx, request, route, routeLabel);
  let plan: LocalCallPlan | Promise<LocalCallPlan>;
  try {
    plan = planLocalCall(req, ctx, request, source, route, routeLabel, charsIn);
  } catch (error) {
    return failureResponse(error, ctx, routeLabel);
  }
  const follow = (ready: LocalCallPlan): Response | Promise<Response> => {
    if (ready.kind === "escalate") return dispatch(req, ctx, request, source, ready.route, charsIn);
    if (ready.kind === "refuse") return ready.response;
    return send(req, ctx, ready.call, routeLabel);
  };
  // A trim that gave the event loop turns comes as a promise; a normal one is ready now.
  // Its failure handler is made outside this frame, whose context holds the request: it lives as long as the answer.
  if (plan instanceof Promise) return plan.then(follow).catch(failureHandler(ctx, routeLabel));
  return follow(plan);
}

const failureHandler = (ctx: ServerContext, routeLabel: string) => (error: unknown) => failureResponse(error, ctx, routeLabel);

/** The prepared call sent to its backend, and its answer read. */
function send(req: Request, ctx: ServerContext, call: PreparedCall, routeLabel: string): Promise<Response> {
  // Sent from here, not from callLocal: what awaits the answer (callLocal, for as long as it streams)
  // holds neither the upstream body nor, through the queue's session key, the request (a 30 MB
  // prompt was both, for the whole answer). A forced call keeps its key: its retries queue again.
  const { upstreamBody, queueSession, ...rest } = call;
  const answering: AnsweringCall = rest.forced === undefined ? rest : { ...rest, queueSession };
  let connecting: Promise<Upstream>;
  try {
    connecting = callBackend(ctx, answering.route.profile, upstreamBody, req.signal, { streamed: answering.streamUpstream, poolSession: answering.poolSession, queueSession });
  } catch (error) {
    connecting = Promise.reject(error as Error);
  }
  return callLocal(req, ctx, answering, connecting).catch(failureHandler(ctx, routeLabel));
}

/** The sent call's answer read: streamed to the client, or whole. */
async function callLocal(req: Request, ctx: ServerContext, call: AnsweringCall, connecting: Promise<Upstream>): Promise<Response> {
  if (call.clientStream && call.streamUpstream) return streamAnswer(req, ctx, call, (await settledWithin(connecting, ctx.pingIntervalMs)) ?? connecting);
  const upstream = await connecting;
  const end = endOfCall(ctx, call, upstream);
  return call.streamUpstream ? collectStreamedAnswer(req, ctx, call, upstream, end) : answerWhole(req, ctx, call, upstream, end);
}
