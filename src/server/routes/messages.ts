import { FastResponse } from "srvx";
import { BackendError } from "../../backends/backend-error.js";
import { isBackendFailureStatus, outcomeOfError, retryAfterOf } from "../../backends/circuit-breaker.js";
import { forwardToAnthropic } from "../../backends/forward-to-anthropic.js";
import { poolSessionKey } from "../../backends/pool-session-key.js";
import { readChatCompletion } from "../../backends/read-chat-completion.js";
import { upstreamTimeouts } from "../../backends/upstream-client.js";
import { describeRequest, type PromptSource } from "../../router/describe-request.js";
import { summarizeTrimReport } from "../../trim/summarize-trim-report.js";
import { trimPlanFor } from "../../trim/plan-trim.js";
import { trimToFit } from "../../trim/trim-to-fit.js";
import type { Size } from "../../../generated/config.js";
import { trimRequest } from "../../trim/trim-request.js";
import { escalateForBudget, type RouteDecision } from "../../router/select-route.js";
import type { AnthropicErrorType, AnthropicMessage, AnthropicStreamEvent, MessagesRequest } from "../../translate/anthropic-types.js";
import { convertAnthropicToOpenAI } from "../../translate/convert-anthropic-to-openai.js";
import { collectStreamMessage } from "../../translate/collect-stream-message.js";
import { convertOpenAIResponse, type AnthropicResponseContext } from "../../translate/convert-openai-response.js";
import type { OpenAIUsage } from "../../translate/openai-types.js";
import { decideThinking } from "../../translate/decide-thinking.js";
import { describeRequestFields } from "../../translate/describe-request-fields.js";
import { createJsonTextExtractor, extractJsonContent } from "../../translate/extract-json-text.js";
import { unenforcedForcedChoice } from "../../translate/forced-tool-call.js";
import { messageToStreamEvents } from "../../translate/message-to-stream-events.js";
import { TranslateError } from "../../translate/translate-error.js";
import { createAnthropicStreamTransformer } from "../../translate/translate-openai-stream.js";
import { MallexError } from "../../mallex-error.js";
import { SupervisorError } from "../../supervisor/supervisor-error.js";
import { clipText, RETENTION_LIMITS } from "../../retention-limits.js";
import { mapErrorTypeToStatus, mapStatusToErrorType } from "../../translate/anthropic-error.js";
import { BackendQueueFullError } from "../backend-queue.js";
import { errorResponse, type ErrorResponseOptions } from "../error-response.js";
import { describeBackendFailure } from "../backend-error-response.js";
import { checkConversation, parseBetas } from "../check-conversation.js";
import { declineThread } from "../decline-thread.js";
import { profileTranslateOptions } from "../profile-translate-options.js";
import { countToolCall, createEventObserver, formatRequestLog, onceEnded, type RequestMetrics } from "../request-log.js";
import type { ToolCallOutcome } from "../../translate/assemble-content-blocks.js";
import { pumpAnswer, startAnswer, type AnswerPumpOptions, type AnswerSink, type AnswerSource } from "../pump-answer.js";
import { replaySSE, streamSSE } from "../sse-response.js";
import { routeRequest } from "../route-with-classifier.js";
import { connectUpstream, type Upstream } from "../connect-upstream.js";
import type { ServerContext } from "../server-context.js";
import { createRedactor, type Redactor } from "../redact-secrets.js";
import { escalateOnTtft, learnFromRequest } from "../ttft-routing.js";
import { checkMessagesBody } from "../validate-messages-body.js";
import { forcedCallPlan, keepForcedCall, type ForcedCall } from "../keep-forced-call.js";
import { checkEnforcedCall, missingEnforcedCall, type EnforcedCall } from "../check-enforced-call.js";

/**
 * POST /v1/messages: validate → route → translate → call the backend → translate back (streamed).
 *
 * Everything up to the upstream body is synchronous and lives in {@link prepareLocalCall}'s frame:
 * what awaits the backend, and then streams its answer, holds only the {@link PreparedCall} — never
 * the body's text, the parsed request or the trimmed one, which GC frees while the answer streams.
 */
export async function handleMessages(req: Request, body: string, ctx: ServerContext): Promise<Response> {
  const check = checkMessagesBody(body, ctx.validateMessages, { cache: ctx.prefixCache });
  if (!check.ok) return errorResponse(400, check.message, { retry: false, requestId: ctx.requestId });
  const request = check.request;
  // What the summaries, logs and metrics keep of the client's model: a name, not whatever it sent.
  if (ctx.trace) ctx.trace.model = clipText(request.model, RETENTION_LIMITS.modelChars);
  const thread = declineThread(request);
  if (thread) return errorResponse(400, thread.message, { retry: false, requestId: ctx.requestId, details: thread.details });
  const broken = checkConversation(request, { betas: parseBetas(req.headers.get("anthropic-beta")) });
  if (broken) return errorResponse(400, broken, { retry: false, requestId: ctx.requestId });

  const facts = describeRequest(request, check.source);
  const sessionId = req.headers.get("x-claude-code-session-id") ?? undefined;
  const sessionTier = sessionId ? ctx.sessions.get(sessionId) : undefined;
  // Where no rule decides, the model classifier may be asked (classifier.mode model): only then is there an await.
  const routing = routeRequest(ctx, { input: { model: request.model, facts, sessionTier }, request, sessionId, signal: req.signal, available: (name) => backendAvailability(ctx, name) });
  const routed = routing instanceof Promise ? await routing : routing;
  if (!routed.ok) {
    ctx.log(`${clipText(request.model, RETENTION_LIMITS.modelChars)} · no route · ${routed.message}`);
    return errorResponse(503, routed.message, { retry: false, requestId: ctx.requestId });
  }
  if (sessionId && routed.route.tier) ctx.sessions.set(sessionId, routed.route.tier);
  return dispatch(req, ctx, request, check.source, routed.route, facts.chars);
}

export function backendAvailability(ctx: ServerContext, name: string): { ok: true } | { ok: false; reason: string } {
  const backend = ctx.backends[name];
  if (!backend || backend.unavailable) return { ok: false, reason: backend?.unavailable ?? `backend ${name} is not configured` };
  const pool = ctx.pools?.for(name);
  if (pool !== undefined && !pool.healthy()) return { ok: false, reason: `every server of backend ${name} failed and is cooling down (${pool.urls.join(", ")})` };
  return ctx.breakers?.check(name) ?? { ok: true };
}

function dispatch(req: Request, ctx: ServerContext, request: MessagesRequest, source: PromptSource, route: RouteDecision, charsIn: number): Response | Promise<Response> {
  const backend = ctx.backends[route.profile.backend]!;
  if (ctx.trace) ctx.trace.route = route;
  // A --server-command may run another model than the profile names: the log says which one answers.
  const served = backend.supervised ? ctx.supervisors?.modelFor(route.profile) : undefined;
  const routeLabel = `${clipText(request.model, RETENTION_LIMITS.modelChars)} → ${route.profile.name}${served !== undefined && served !== route.profile.model ? ` on ${served}` : ""} (${route.reason})`;
  if (backend.kind === "anthropic") {
    ctx.log(`${routeLabel} · forwarded to the Anthropic API`);
    // Begun before the first await: a half-open breaker's one probe is this request's, not the next one's.
    const ticket = ctx.breakers?.begin(backend.name);
    return forwardToAnthropic(backend, request, route.profile.model, req.headers, { signal: req.signal, client: ctx.upstream, timeouts: upstreamTimeouts(backend, ctx.requestTimeoutMs), redact: redactorOf(ctx).text }).then(
      (response) => {
        ticket?.end(isBackendFailureStatus(response.status) ? { ok: false, ...retryAfterOf(response.headers.get("retry-after")) } : { ok: true });
        return response;
      },
      (error: unknown) => {
        ticket?.end(outcomeOfError(error));
        return failure(error, ctx, routeLabel);
      },
    );
  }
  let prepared: PreparedCall | Response | Promise<Response>;
  try {
    prepared = prepareLocalCall(req, ctx, request, source, route, routeLabel, charsIn);
  } catch (error) {
    return failure(error, ctx, routeLabel);
  }
  if (!("upstreamBody" in prepared)) return prepared;
  return callLocal(req, ctx, prepared).catch((error: unknown) => failure(error, ctx, routeLabel));
}

/** What a local call needs once its upstream body is written: nothing of the request it came from but these. */
interface PreparedCall {
  route: RouteDecision;
  routeLabel: string;
  upstreamBody: string;
  streamUpstream: boolean;
  /** The client asked for a stream (`stream: true`). */
  clientStream: boolean;
  wantsJson: boolean;
  metrics: RequestMetrics;
  translateContext: AnthropicResponseContext;
  /** The trimmed prompt's estimated size (message_start's until usage comes) and its session, for the learned prefill rates. */
  prompt: { estimatedTokens: number; sessionId: string | null };
  /** The request's session as its backend's pool places it (absent: the backend has one server). */
  poolSession?: string;
  /** Its session for its turn in a busy backend's queue: the pool's, or the same key computed when the request has to wait. */
  queueSession: string | (() => string);
  /** A forced tool call the server does not enforce, with what a corrective retry needs. */
  forced?: ForcedCall;
  /** A forced tool call the server enforces: its answer is still checked for the call, as it streams. */
  enforced?: EnforcedCall;
}

/**
 * Trims and translates the request, synchronously: the upstream body and what reading the answer
 * needs, or the answer itself (a refusal, or the escalated route's call).
 */
function prepareLocalCall(req: Request, ctx: ServerContext, request: MessagesRequest, source: PromptSource, route: RouteDecision, routeLabel: string, charsIn: number): PreparedCall | Response | Promise<Response> {
  const backend = ctx.backends[route.profile.backend]!;
  // The system prompt and tools come trimmed from the prefix cache after the first request with them.
  const trim = (size: Size) => trimRequest(request, trimPlanFor(ctx.table, route.profile, size), ctx.templates, { cache: ctx.prefixCache, source, userAgent: req.headers.get("user-agent") ?? undefined });
  const { trimmed, smaller } = trimToFit(trim, route.profile.size);
  ctx.watch?.trimmed(route, trimmed.report);
  // Untrimmed, no rule places anything: that is the profile's choice, not a Claude Code release that changed.
  if (route.profile.trim !== false) ctx.claudeCodeDrift?.observe(trimmed.report);
  if (!trimmed.ok) {
    const higher = escalateForBudget(route, ctx.table, (name) => backendAvailability(ctx, name));
    ctx.log(`${routeLabel} · ${summarizeTrimReport(trimmed.report)} · ${higher ? `over budget, escalating to ${higher.profile.name}` : `refused: ${trimmed.error.message}`}`);
    if (higher) return dispatch(req, ctx, request, source, higher, charsIn);
    return errorResponse(trimmed.error.status, trimmed.error.message, { retry: false, requestId: ctx.requestId });
  }
  const prompt = { estimatedTokens: trimmed.report.after.tokens, sessionId: req.headers.get("x-claude-code-session-id") };
  const slow = ctx.ttft && escalateOnTtft(ctx.ttft, ctx.table, route, prompt, (name) => backendAvailability(ctx, name));
  if (slow) ctx.log(`${routeLabel} · ${slow.note}`);
  if (slow?.route) return dispatch(req, ctx, request, source, slow.route, charsIn);
  const options = profileTranslateOptions(route.profile, backend.flavor);
  // A forced call the server does not enforce is checked whole before the client sees it.
  const forced = unenforcedForcedChoice(request.tool_choice, options.serverFeatures, options.toolMode);
  // Stop sequences are matched by mallex, which stops the generation there: only a streamed
  // generation can be stopped, so it is streamed even when the client wants the whole message.
  const stopSequences = request.stop_sequences?.filter((sequence) => sequence !== "") ?? [];
  const streamUpstream = (request.stream === true || stopSequences.length > 0) && forced === undefined;
  const upstreamRequest = { ...convertAnthropicToOpenAI(trimmed.request, options), stream: streamUpstream };
  if (streamUpstream) upstreamRequest.stream_options = { include_usage: true };
  else delete upstreamRequest.stream_options;
  const upstreamBody = JSON.stringify(upstreamRequest);
  const poolSession = ctx.pools?.for(backend.name) === undefined ? undefined : poolSessionKey(prompt.sessionId, request);
  const queueSession = poolSession ?? (() => poolSessionKey(prompt.sessionId, request));
  // From the request's arrival, as /metrics, the dashboard and mallex eval time it: the log line's ttft is the same number,
  // mallex's own trimming included (on a loaded machine it is not nothing).
  const metrics: RequestMetrics = { route: routeLabel, charsIn, charsOut: upstreamBody.length, trim: trimmed.report, started: ctx.trace?.started ?? ctx.deps.now() };
  const thinking = decideThinking(request.thinking, options.thinking);
  if (ctx.trace) ctx.trace.metrics = metrics;
  // Said once per request: what became of the Anthropic-only settings (thinking, context_management), and what the profile hid.
  const smallerSize = smaller === undefined ? undefined : `trimmed as a ${smaller} model to fit the ${route.profile.inputBudget}-token budget`;
  const notes = [smallerSize, describeRequestFields(request, options), thinking.strippedByProfile ? `thinking stripped by profile ${route.profile.name}` : undefined].filter((note) => note !== undefined);
  if (notes.length > 0) metrics.notes = notes;
  // Calls are checked against the tools as Claude Code declared them (the model saw them trimmed).
  const cap = route.profile.maxOutputTokens;
  const capNote = `cut at ${cap} tokens by max_output_tokens of profile ${route.profile.name}`;
  const outputCap = request.max_tokens > cap ? { outputCap: cap, onOutputCap: () => (metrics.notes = [...(metrics.notes ?? []), capNote]) } : {};
  const responseOptions = { ...options, thinking: thinking.show ? "expose" : "strip" } as const;
  // A `length` finish short of max_tokens, or with the context filled, is the context's doing: said so, not blamed on max_tokens.
  const window = route.profile.contextWindow;
  const onContextFull = (usage: OpenAIUsage | null | undefined) => {
    const counts = usage?.prompt_tokens !== undefined && usage.completion_tokens !== undefined ? ` (${usage.prompt_tokens} + ${usage.completion_tokens} tokens${window === undefined ? "" : ` of ${window}`})` : "";
    metrics.notes = [...(metrics.notes ?? []), `answer stopped: the model server's context is full${counts}`];
  };
  const limits = { contextWindow: window, maxTokens: upstreamRequest.max_tokens, onContextFull };
  // The answer names the model asked for, as a name: no real one is longer than the cap.
  const onToolCall = (outcome: ToolCallOutcome) => countToolCall(metrics, outcome);
  const translateContext = { model: clipText(request.model, RETENTION_LIMITS.modelChars), tools: trimmed.offeredTools, toolChoice: request.tool_choice, options: responseOptions, deps: ctx.deps, schemaCache: ctx.schemaCache, stopSequences, onToolCall, ...outputCap, ...limits };
  return {
    route,
    routeLabel,
    upstreamBody,
    streamUpstream,
    clientStream: request.stream === true,
    // A JSON answer may come wrapped in prose or a code fence: asked for in words, or from a server
    // that takes response_format without enforcing it.
    wantsJson: request.output_config?.format !== undefined,
    metrics,
    translateContext,
    prompt,
    ...(poolSession === undefined ? {} : { poolSession }),
    queueSession,
    ...forcedCallPlan(request.tool_choice, forced, { upstreamRequest, offeredTools: trimmed.offeredTools, retries: route.profile.forcedCallRetries }, { profile: route.profile.name, flavor: backend.flavor }),
  };
}

async function callLocal(req: Request, ctx: ServerContext, call: PreparedCall): Promise<Response> {
  const { route, routeLabel, metrics, translateContext, forced } = call;
  const connecting = connectUpstream(ctx, route.profile, call.upstreamBody, req.signal, { streamed: call.streamUpstream, poolSession: call.poolSession, queueSession: call.queueSession });
  if (call.clientStream && call.streamUpstream) return streamLocal(req, ctx, call, (await settledWithin(connecting, ctx.pingIntervalMs)) ?? connecting);
  const upstream = await connecting;
  const end = endOfCall(ctx, call, upstream);
  const backend = ctx.backends[route.profile.backend]!;

  if (!call.streamUpstream) {
    let converted: AnthropicMessage;
    try {
      converted = convertOpenAIResponse(await readChatCompletion(upstream.response, backend), translateContext);
      if (forced !== undefined) {
        upstream.release(); // the first answer is read whole: its backend slot goes to a retry
        const ask = async (body: string) => {
          metrics.forcedCallRetries = (metrics.forcedCallRetries ?? 0) + 1;
          const retry = await connectUpstream(ctx, route.profile, body, req.signal, { streamed: false, poolSession: call.poolSession, queueSession: call.queueSession });
          try {
            return convertOpenAIResponse(await readChatCompletion(retry.response, backend), translateContext);
          } finally {
            retry.release();
          }
        };
        const kept = await keepForcedCall(converted, forced, ask, (line) => ctx.log(`${routeLabel} · ${line}`));
        if (!kept.ok) {
          end(kept.message);
          // Not the client's mistake, and asking again is what mallex already did: no SDK retry.
          return errorResponse(500, kept.message, { type: "api_error", retry: false, requestId: ctx.requestId });
        }
        converted = kept.message;
      }
    } catch (error) {
      // The client went away while the answer was read: logged once, as the request's line.
      const aborted = error instanceof Error && error.name === "AbortError";
      end(aborted ? "client disconnected" : error instanceof Error ? error.message : String(error));
      if (aborted) return errorResponse(499, "The client closed the request.", { retry: false, requestId: ctx.requestId });
      throw error;
    }
    const missing = call.enforced && missingEnforcedCall(converted, call.enforced);
    if (missing) {
      end(missing);
      return errorResponse(500, missing, { type: "api_error", requestId: ctx.requestId });
    }
    const message = call.wantsJson ? { ...converted, content: extractJsonContent(converted.content) } : converted;
    Object.assign(metrics, {
      firstTokenAt: metrics.started,
      stopReason: message.stop_reason ?? undefined,
      outputTokens: message.usage.output_tokens,
      promptTokens: message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0),
      cachedTokens: message.usage.cache_read_input_tokens ?? 0,
    });
    end();
    return call.clientStream ? replaySSE(messageToStreamEvents(message)) : FastResponse.json(message);
  }

  // Streamed from the backend (stop sequences) but answered in one piece.
  req.signal.addEventListener("abort", () => end("client disconnected"), { once: true });
  const observe = createEventObserver(metrics, ctx.deps.now, end);
  const events: AnthropicStreamEvent[] = [];
  await new Promise<void>((resolve) => {
    const collect: AnswerSink = {
      event(event) {
        events.push(event);
        observe(event);
      },
      flush: () => true,
      end: resolve,
      error(reason) {
        events.push({ type: "error", error: { type: "api_error", message: `mallex failed on this answer: ${reason instanceof Error ? reason.message : String(reason)}` } });
        resolve();
      },
    };
    pumpAnswer({ ...answerOptions(ctx, call), ...sourceOf(upstream) }, sinkFor(call, collect));
  });
  end();
  const collected = collectStreamMessage(events);
  if (!collected.ok) {
    const retry = collected.error.type === "overloaded_error" || collected.error.type === "rate_limit_error";
    return errorResponse(mapErrorTypeToStatus(collected.error.type), collected.error.message, { type: collected.error.type, retry, requestId: ctx.requestId });
  }
  return FastResponse.json(collected.message);
}

/**
 * A streamed answer. When the backend took longer than a ping interval to answer (the request waited
 * its turn in the queue, or for its model server to load), the answer begins without it and pings
 * until it comes, as during a long prefill; a failure then is the stream's `error` event.
 */
function streamLocal(req: Request, ctx: ServerContext, call: PreparedCall, upstream: Upstream | Promise<Upstream>): Response {
  let end: ((error?: string) => void) | undefined;
  req.signal.addEventListener("abort", () => end?.("client disconnected"), { once: true });
  const observe = createEventObserver(call.metrics, ctx.deps.now, (error) => end?.(error));
  const arrived = (answer: Upstream): AnswerSource => {
    end = endOfCall(ctx, call, answer);
    return sourceOf(answer);
  };
  const log = { observe, end: () => end?.() };
  if (!(upstream instanceof Promise)) return streamSSE((sink) => pumpAnswer({ ...answerOptions(ctx, call), ...arrived(upstream) }, sinkFor(call, sink)), log);
  return streamSSE((sink) => {
    const answer = startAnswer(answerOptions(ctx, call), sinkFor(call, sink));
    upstream.then(
      (connected) => {
        // Over before the backend answered (the client went away): its slot and lease go back now.
        if (!answer.attach(arrived(connected))) end!(req.signal.aborted ? "client disconnected" : "the answer ended before the backend answered");
      },
      (error: unknown) => answer.fail(streamedFailure(describeFailure(error, ctx, call.routeLabel))),
    );
    return answer;
  }, log);
}

/**
 * A failure as a begun stream's error event. Its HTTP status and retry advice cannot be sent any more:
 * a failure worth retrying (a busy, loading or rate-limited backend) is an `overloaded_error`, which
 * Claude Code retries from a stream as well, with the wait the backend asked for in its sentence.
 */
function streamedFailure(reply: ReturnType<typeof describeFailure>): { type: AnthropicErrorType; message: string } {
  const { options } = reply;
  if (options.retry !== true) return { type: options.type ?? mapStatusToErrorType(reply.status), message: reply.message };
  const after = options.retryAfter === undefined ? "" : ` (retry after ${/^\d+$/.test(options.retryAfter) ? `${options.retryAfter} s` : options.retryAfter})`;
  return { type: "overloaded_error", message: `${reply.message}${after}` };
}

/** The request's log line, metrics and learned rates, once, when it ends; its backend slot freed then. */
function endOfCall(ctx: ServerContext, call: PreparedCall, upstream: Upstream): (error?: string) => void {
  const { metrics } = call;
  // Which server of a pool answers: the request's log line says it.
  if (upstream.server !== undefined) metrics.route = `${call.routeLabel} on ${upstream.server}`;
  metrics.queuedMs = upstream.queuedMs;
  metrics.loadingMs = upstream.loadingMs;
  metrics.sentAt = upstream.sentAt;
  return onceEnded(metrics, ctx.deps.now, (m) => {
    upstream.release();
    ctx.log(formatRequestLog(m));
    if (ctx.ttft) learnFromRequest(ctx.ttft, call.route.profile, m, call.prompt);
  });
}

const answerOptions = (ctx: ServerContext, call: PreparedCall): AnswerPumpOptions => ({
  pingIntervalMs: ctx.pingIntervalMs,
  transformer: createAnthropicStreamTransformer({ ...call.translateContext, inputTokensEstimate: call.prompt.estimatedTokens }),
});

// Every byte counts as life for the supervisor, mlx's prefill keepalive comments included.
const sourceOf = (upstream: Upstream): AnswerSource => ({ body: upstream.response.body, bodyError: upstream.response.bodyError, onBytes: upstream.progress });

/** The promise's value when it settles within `ms`; undefined when it takes longer (it goes on). A rejection within `ms` is thrown. */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A JSON answer may come wrapped in prose or a code fence: its text blocks are held and cut to the JSON. */
const sinkFor = (call: PreparedCall, sink: AnswerSink): AnswerSink => {
  const checked = call.enforced === undefined ? sink : checkEnforcedCall(sink, call.enforced);
  return call.wantsJson ? holdJsonText(checked) : checked;
};


/** A sink whose text blocks arrive as their JSON object (createJsonTextExtractor). */
function holdJsonText(sink: AnswerSink): AnswerSink {
  const extractor = createJsonTextExtractor();
  const send = (events: AnthropicStreamEvent[]) => {
    for (const event of events) sink.event(event);
  };
  return {
    event: (event) => send(extractor.push(event)),
    flush: () => sink.flush(),
    end() {
      send(extractor.flush());
      sink.end();
    },
    error: (reason) => sink.error(reason),
  };
}

/** Every failure becomes an Anthropic error the user can act on; nothing escapes as a stack trace. */
/** The server's redactor; a context built without one (tests of the app alone) still keeps each backend's key and headers out. */
function redactorOf(ctx: ServerContext): Redactor {
  // Short values (a local server's placeholder key, `none`) are no secrets: see collectSecrets.
  return ctx.redact ?? createRedactor(Object.values(ctx.backends).flatMap((backend) => [backend.apiKey ?? "", ...Object.values(backend.headers)].filter((value) => value.length >= 6)));
}

function failure(error: unknown, ctx: ServerContext, routeLabel: string): Response {
  const reply = describeFailure(error, ctx, routeLabel);
  return errorResponse(reply.status, reply.message, { ...reply.options, requestId: ctx.requestId });
}

/** What the client is told of a failure (logged once here): as a response, or as a begun stream's error event. */
function describeFailure(error: unknown, ctx: ServerContext, routeLabel: string): { status: number; message: string; options: ErrorResponseOptions } {
  const reply = (status: number, message: string, options: ErrorResponseOptions) => ({ status, message, options });
  if (TranslateError.isInstance(error)) {
    ctx.log(`${routeLabel} · rejected: ${error.message}`);
    return reply(400, `${error.path}: ${error.message}`, { retry: false });
  }
  if (BackendQueueFullError.isInstance(error)) {
    ctx.log(`${routeLabel} · refused: ${error.message}`);
    return reply(529, error.message, { type: "overloaded_error" });
  }
  if (BackendError.isInstance(error)) {
    ctx.log(`${routeLabel} · backend failed: ${error.message}`);
    const backend = ctx.backends[error.backend];
    const described = describeBackendFailure(error, { kind: backend?.kind ?? "openai", apiKeySource: ctx.table.backends[error.backend]?.apiKey });
    // The server's own words are in the message: a key it echoed is not the client's to see.
    return reply(described.status, redactorOf(ctx).text(described.message), { type: described.type, retry: described.retry, ...(described.retryAfter === undefined ? {} : { retryAfter: described.retryAfter }) });
  }
  // The client went away: nobody reads this answer, and it is no bug of mallex's.
  if (error instanceof Error && error.name === "AbortError") {
    ctx.log(`${routeLabel} · client disconnected`);
    return reply(499, "The client closed the request.", { retry: false });
  }
  if (MallexError.isInstance(error)) {
    // The supervisor's "gave up" line already holds the sentence: said once, pointed at here.
    ctx.log(`${routeLabel} · ${SupervisorError.isInstance(error) && error.announced ? "refused: its model server gave up (the line above says why)" : error.message}`);
    return reply(503, error.message, { retry: false });
  }
  ctx.log(`${routeLabel} · internal error: ${(error as Error).stack ?? String(error)}`);
  return reply(500, `mallex failed on this request: ${(error as Error).message ?? String(error)}`, { type: "api_error", retry: false });
}
