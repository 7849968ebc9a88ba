import { describeRequest } from "../router/describe-request.js";
import type { RouteDecision } from "../router/select-route.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import { clipText, RETENTION_LIMITS } from "../shared/retention-limits.js";
import { settledWithin } from "../shared/settled-within.js";
import { answerWhole } from "./answer-whole.js";
import { backendAvailability } from "./backend-availability.js";
import { callBackend, type Upstream } from "./call-backend.js";
import { checkConversation, parseBetas } from "./check-conversation.js";
import { checkMessagesBody } from "./check-messages-body.js";
import { collectStreamedAnswer } from "./collect-streamed-answer.js";
import { declineThread } from "./decline-thread.js";
import { failureResponse } from "./describe-failure.js";
import { endOfCall } from "./end-of-call.js";
import { answerError } from "./error-response.js";
import { passThroughToAnthropic } from "./pass-through-to-anthropic.js";
import { planLocalCall, type AnsweringCall, type PreparedCall } from "./plan-local-call.js";
import { routeRequest } from "./route-request.js";
import type { ServerContext } from "./server-context.js";
import { streamAnswer } from "./stream-answer.js";

/** The body's text, handed over: handleMessages empties it once parsed (a 30 MB prompt is then one copy fewer while the request goes on). */
export interface BodyText {
  text: string;
}

/**
 * POST /v1/messages, in the order it happens: admit → route → plan the call → call the backend →
 * answer (streamed or whole); whatever fails on the way is answered once, by {@link failureResponse}.
 * Refusals the request earns (a bad body, no route, over every budget) are answers, not failures.
 */
export function handleMessages(req: Request, body: BodyText, ctx: ServerContext): Promise<Response> {
  // Made here, not in messagesSequence: a closure made there would share that frame's context, which
  // holds the request, and this one lives as long as the answer.
  const at: RequestPlace = {};
  return messagesSequence(req, body, ctx, at).catch((error: unknown) => failureResponse(error, ctx, at.routeLabel));
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
async function messagesSequence(req: Request, body: BodyText, ctx: ServerContext, at: RequestPlace): Promise<Response> {
  // 1. Admit: the body parsed and checked against the API's schema, a thread declined, the conversation's rules checked.
  const chars = body.text.length;
  const check = checkMessagesBody(body.text, ctx.validateMessages, { cache: ctx.prefixCache });
  // Parsed, the text is garbage: nothing holds it while the request is routed and serialized again,
  // and a large one is collected before the upstream body is made.
  body.text = "";
  ctx.collectAfter?.(chars, "now");
  if (!check.ok) return answerError(ctx, 400, check.message, { retry: false });
  const { request, source } = check;
  // What the summaries, logs and metrics keep of the client's model: a name, not whatever it sent.
  if (ctx.trace) ctx.trace.model = clipText(request.model, RETENTION_LIMITS.modelChars);
  const thread = declineThread(request);
  if (thread) return answerError(ctx, 400, thread.message, { retry: false, details: thread.details });
  const broken = checkConversation(request, { betas: parseBetas(req.headers.get("anthropic-beta")) });
  if (broken) return answerError(ctx, 400, broken, { retry: false });

  // 2. Route: by the table's rules; where none decides, the model classifier may be asked (classifier.mode model).
  const facts = describeRequest(request, source);
  const sessionId = req.headers.get("x-claude-code-session-id") ?? undefined;
  const sessionTier = sessionId ? ctx.sessions.get(sessionId) : undefined;
  const routed = await routeRequest(ctx, { input: { model: request.model, facts, sessionTier }, request, sessionId, signal: req.signal, available: (name) => backendAvailability(ctx, name) });
  if (!routed.ok) {
    ctx.log(`${clipText(request.model, RETENTION_LIMITS.modelChars)} · no route · ${routed.message}`);
    return answerError(ctx, 503, routed.message, { retry: false });
  }
  if (sessionId && routed.route.tier) ctx.sessions.set(sessionId, routed.route.tier);

  // 3. Plan the call: passed through to the Anthropic API, or trimmed and translated for a local
  // backend; a request over its route's budget, or predicted too slow to start answering, goes up a tier.
  for (let route = routed.route; ; ) {
    const routeLabel = (at.routeLabel = labelOf(ctx, request, route));
    if (ctx.trace) ctx.trace.route = route;
    if (ctx.backends[route.profile.backend]!.kind === "anthropic") return passThroughToAnthropic(req, ctx, request, route, routeLabel);
    const plan = await planLocalCall(req, ctx, request, source, route, routeLabel, facts.chars);
    if (plan.kind === "escalate") {
      route = plan.route;
      continue;
    }
    if (plan.kind === "refuse") return plan.response;
    // 4. Call the backend and 5. answer: from here on, nothing holds the request.
    return callAndAnswer(req, ctx, plan.call);
  }
}

/** The route as the request's log lines name it. A --server-command may run another model than the profile names: the log says which one answers. */
function labelOf(ctx: ServerContext, request: MessagesRequest, route: RouteDecision): string {
  const served = ctx.backends[route.profile.backend]!.supervised ? ctx.supervisors?.modelFor(route.profile) : undefined;
  return `${clipText(request.model, RETENTION_LIMITS.modelChars)} → ${route.profile.name}${served !== undefined && served !== route.profile.model ? ` on ${served}` : ""} (${route.reason})`;
}

/**
 * The planned call sent to its backend, and its answer read. Sent from here, not from readAnswer:
 * what awaits the answer (readAnswer, for as long as it streams) holds neither the upstream body nor,
 * through the queue's session key, the request (a 30 MB prompt was both, for the whole answer). A
 * forced call keeps its key: its retries queue again.
 */
function callAndAnswer(req: Request, ctx: ServerContext, call: PreparedCall): Promise<Response> {
  const { upstreamBody, queueSession, ...rest } = call;
  const answering: AnsweringCall = rest.forced === undefined ? rest : { ...rest, queueSession };
  const calling = callBackend(ctx, answering.route.profile, upstreamBody, req.signal, { streamed: answering.streamUpstream, poolSession: answering.poolSession, queueSession });
  return readAnswer(req, ctx, answering, calling);
}

/**
 * The backend's answer read: streamed to the client (begun before the backend answers when it takes
 * longer than a ping interval: the client sees pings meanwhile), collected from a stream, or whole.
 */
async function readAnswer(req: Request, ctx: ServerContext, call: AnsweringCall, calling: Promise<Upstream>): Promise<Response> {
  if (call.clientStream && call.streamUpstream) return streamAnswer(req, ctx, call, (await settledWithin(calling, ctx.pingIntervalMs)) ?? calling);
  const upstream = await calling;
  const end = endOfCall(ctx, call, upstream);
  return call.streamUpstream ? collectStreamedAnswer(req, ctx, call, upstream, end) : answerWhole(req, ctx, call, upstream, end);
}
