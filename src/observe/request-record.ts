import type { RoutingTable } from "../compile/routing-table.js";
import type { ClassifierOutcome } from "../router/classify-with-model.js";
import { routeLabelsOf } from "../router/route-header.js";
import type { RouteDecision } from "../router/select-route.js";
import type { MetricsRegistry } from "./metrics.js";
import type { AnthropicMessage, AnthropicStreamEvent } from "../translate/anthropic-types.js";
import type { ToolCallOutcome } from "../translate/assemble-content-blocks.js";
import type { TrimReport } from "../trim/trim-types.js";
import { countToolCall, type RequestMetrics } from "./request-log.js";

/** What one /v1/messages request did, filled in as it goes (messages.ts sets route and metrics). */
export interface RequestTrace {
  started: number;
  /** The model the client asked for (absent: the body was refused before it was read). */
  model?: string;
  /** The route it finally took (after any escalation); absent: refused before routing. */
  route?: RouteDecision;
  /** The request log's numbers (local backends). */
  metrics?: RequestMetrics;
  /** How the model classifier was consulted for it; absent: it was not (a rule decided, or mode rules). */
  classifier?: ClassifierOutcome;
  /** The sentence of the error mallex answered it with (absent: none, or one sent inside a stream, which its metrics keep). */
  failure?: string;
}

export type RequestOutcome = "ok" | "error" | "cancelled";

/** How and when a request ended, as observeMessages tells it once. */
export interface RequestEnd {
  status: number;
  outcome: RequestOutcome;
  finishedAt: number;
  /** What the handler threw (status 500). */
  error?: unknown;
}

/** Counts one ended request in every metric it concerns. */
export function recordRequest(registry: MetricsRegistry, table: RoutingTable, trace: RequestTrace, end: RequestEnd): void {
  const route = trace.route ? routeLabelsOf(trace.route, table) : { tier: "none", profile: "none", backend: "none" };
  const labels = { tier: route.tier, profile: route.profile, backend: route.backend };
  const status = String(end.status);
  registry.inc("mallex_requests_total", { ...labels, status, outcome: end.outcome });
  if (end.outcome === "error") registry.inc("mallex_request_errors_total", { ...labels, status });
  registry.observe("mallex_request_duration_seconds", labels, Math.max(0, end.finishedAt - trace.started) / 1000);
  if (trace.classifier !== undefined) registry.inc("mallex_classifier_decisions_total", { outcome: trace.classifier });
  const m = trace.metrics;
  if (!m) return;
  // A one-piece answer has no first token of its own: the request log puts it at the start.
  if (m.firstTokenAt !== undefined && m.firstTokenAt > m.started)
    registry.observe("mallex_time_to_first_token_seconds", labels, (m.firstTokenAt - trace.started) / 1000);
  if (m.queuedMs !== undefined) registry.observe("mallex_queue_wait_seconds", labels, m.queuedMs / 1000);
  if (m.loadingMs !== undefined) registry.observe("mallex_model_load_wait_seconds", labels, m.loadingMs / 1000);
  if (m.promptTokens !== undefined) registry.inc("mallex_prompt_tokens_total", labels, m.promptTokens);
  if (m.cachedTokens !== undefined) registry.inc("mallex_cached_tokens_total", labels, m.cachedTokens);
  if (m.outputTokens !== undefined) registry.inc("mallex_output_tokens_total", labels, m.outputTokens);
  if (m.charsIn > m.charsOut) registry.inc("mallex_trimmed_chars_total", labels, m.charsIn - m.charsOut);
  const calls = m.toolCalls;
  if (calls !== undefined) {
    for (const [outcome, n] of [
      ["ran", calls.made - calls.repaired - calls.rejected],
      ["repaired", calls.repaired],
      ["rejected", calls.rejected],
    ] as const) {
      if (n > 0) registry.inc("mallex_tool_calls_total", { ...labels, outcome }, n);
    }
  }
  if (m.forcedCallRetries !== undefined) registry.inc("mallex_forced_call_retries_total", labels, m.forcedCallRetries);
  if (m.unknownCallRetries !== undefined) registry.inc("mallex_unknown_call_retries_total", labels, m.unknownCallRetries);
}

/** node:http's response to the client, where the app runs on node:http: its `close` is the end of a stream. */
export interface SentResponse {
  readonly writableFinished: boolean;
  once(event: "close", listener: () => void): unknown;
}

/**
 * Runs a /v1/messages handler and counts the request once when it ends: at once for an answer in one
 * piece, at the last byte (or the client's cancel) for a stream, with status 500 when it throws.
 * `onEnd` is told the same end, after the metrics (the request's watch: see request-watch.ts).
 * On node:http (`sent`), a stream's end is its response's `close`, and the body is not touched;
 * elsewhere (app.fetch) the body is passed through a stream that sees its end.
 */
export async function observeMessages(
  registry: MetricsRegistry,
  table: RoutingTable,
  trace: RequestTrace,
  deps: { now(): number; signal: AbortSignal; onEnd?: ((end: RequestEnd) => void) | undefined; sent?: SentResponse | undefined },
  handle: () => Promise<Response>,
): Promise<Response> {
  let ended = false;
  const finish = (status: number, outcome: RequestOutcome, error?: unknown) => {
    if (ended) return;
    ended = true;
    const end: RequestEnd = { status, outcome, finishedAt: deps.now(), ...(error === undefined ? {} : { error }) };
    recordRequest(registry, table, trace, end);
    deps.onEnd?.(end);
  };
  let response: Response;
  try {
    response = await handle();
  } catch (error) {
    finish(500, "error", error);
    throw error;
  }
  const status = response.status;
  const outcomeAtEnd = (): RequestOutcome => {
    if (status === 499 || trace.metrics?.error === "client disconnected") return "cancelled";
    return status >= 400 || trace.metrics?.error !== undefined ? "error" : "ok";
  };
  const streamed =
    response.headers.get("content-type")?.startsWith("text/event-stream") ||
    (trace.route?.profile.backend !== undefined && table.backends[trace.route.profile.backend]?.kind === "anthropic");
  const { sent } = deps;
  if (streamed && sent !== undefined) {
    sent.once("close", () => finish(status, sent.writableFinished ? outcomeAtEnd() : "cancelled"));
    return response;
  }
  if (!streamed || !response.body) {
    finish(status, outcomeAtEnd());
    return response;
  }
  deps.signal.addEventListener("abort", () => finish(status, "cancelled"), { once: true });
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (!done) return controller.enqueue(value);
        finish(status, outcomeAtEnd());
        controller.close();
      } catch (error) {
        finish(status, "error");
        controller.error(error);
      }
    },
    cancel(reason) {
      finish(status, "cancelled");
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status, statusText: response.statusText, headers: response.headers });
}

/** What happened to a request on its way to a call: each is its trace's. */
export type RequestEvent =
  /** Its body parsed: the model it asked for, as a name (clipped by the reader). */
  | { type: "read"; model: string }
  | { type: "classified"; outcome: ClassifierOutcome }
  /** The route it takes now (again after an escalation). */
  | { type: "routed"; route: RouteDecision }
  /** The sentence of the error mallex answered it with. */
  | { type: "refused"; message: string };

/** What happened to a local call, from its plan to its end: each is its metrics'. */
export type CallEvent =
  /** Something mallex changed about the answer that the user should know. */
  | { type: "noted"; note: string }
  /** mallex's own output cap ended the answer at `cap` tokens. */
  | { type: "capped"; cap: number; note: string }
  | { type: "tool-call"; call: ToolCallOutcome }
  /** Calls counted as made, then not passed on. */
  | { type: "calls-dropped"; count: number }
  | { type: "retried"; why: "forced-call" | "unknown-call" }
  /** It went to the backend: after these waits, on this server of a pool (absent: the backend's one). */
  | { type: "sent"; server: string | undefined; queuedMs: number | undefined; loadingMs: number | undefined; sentAt: number | undefined }
  /** The backend's first generated token came (later ones are not told). */
  | { type: "model-token" }
  /** An event of the answer the client gets, as it goes out. */
  | { type: "answered"; event: AnthropicStreamEvent }
  /** The answer, read whole and checked (`streamed`: its events were told as they came, and only its stop may have changed). */
  | { type: "answered-whole"; message: AnthropicMessage; streamed: boolean }
  | { type: "ended"; error?: string | undefined };

/** What the plan knows of a local call when it is made: its metrics start from it. */
export interface CallStart {
  route: string;
  charsIn: number;
  charsOut: number;
  trim: TrimReport;
  notes: readonly string[];
}

/** One local call's part of the record: its metrics, read; what happens to it, told. */
export interface CallRecord {
  readonly metrics: Readonly<RequestMetrics>;
  happened(event: CallEvent): void;
}

/**
 * One request's record. Each step of the pipeline tells it what happened, as an event; the trace —
 * the route, the classifier's outcome, the failure and the call's metrics, from which /metrics, the
 * log line, the dashboard's row and `mallex eval`'s numbers are all derived — is written from those
 * events here, and nowhere else.
 */
export interface RequestRecord {
  /** Read by the dashboard while the request runs, and by /metrics when it ends. */
  readonly trace: Readonly<RequestTrace>;
  happened(event: RequestEvent): void;
  /** The local call planned: its metrics begin (timed from the request's arrival), and its events go to the part returned. */
  startCall(start: CallStart): CallRecord;
}

export function createRequestRecord(trace: RequestTrace, now: () => number): RequestRecord {
  return {
    trace,
    happened(event) {
      if (event.type === "read") trace.model = event.model;
      else if (event.type === "classified") trace.classifier = event.outcome;
      else if (event.type === "routed") trace.route = event.route;
      else trace.failure = event.message;
    },
    startCall(start) {
      const metrics: RequestMetrics = {
        route: start.route,
        charsIn: start.charsIn,
        charsOut: start.charsOut,
        trim: start.trim,
        started: trace.started,
        ...(start.notes.length === 0 ? {} : { notes: [...start.notes] }),
      };
      trace.metrics = metrics;
      return { metrics, happened: (event) => recordCallEvent(metrics, event, start.route, now) };
    },
  };
}

/** The one writer of a call's metrics. */
function recordCallEvent(metrics: RequestMetrics, event: CallEvent, routeLabel: string, now: () => number): void {
  switch (event.type) {
    case "noted":
      metrics.notes = [...(metrics.notes ?? []), event.note];
      return;
    case "capped":
      metrics.notes = [...(metrics.notes ?? []), event.note];
      metrics.cutAtCap = event.cap;
      return;
    case "tool-call":
      return countToolCall(metrics, event.call);
    case "calls-dropped":
      if (metrics.toolCalls !== undefined) metrics.toolCalls.rejected += event.count;
      return;
    case "retried": {
      const counted = event.why === "forced-call" ? "forcedCallRetries" : "unknownCallRetries";
      metrics[counted] = (metrics[counted] ?? 0) + 1;
      return;
    }
    case "sent":
      // Which server of a pool answers: the request's log line says it.
      if (event.server !== undefined) metrics.route = `${routeLabel} on ${event.server}`;
      metrics.queuedMs = event.queuedMs;
      metrics.loadingMs = event.loadingMs;
      metrics.sentAt = event.sentAt;
      return;
    case "model-token":
      metrics.modelTokenAt ??= now();
      return;
    case "answered":
      return recordAnswerEvent(metrics, event.event, now);
    case "answered-whole": {
      const { message } = event;
      metrics.stopReason = message.stop_reason ?? undefined;
      if (event.streamed) return;
      // A one-piece answer has no first token of its own: the log line and /metrics put it at the start.
      metrics.firstTokenAt = metrics.started;
      metrics.outputTokens = message.usage.output_tokens;
      metrics.promptTokens = message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0);
      metrics.cachedTokens = message.usage.cache_read_input_tokens ?? 0;
      return;
    }
    case "ended":
      if (event.error) metrics.error ??= event.error;
      metrics.finishedAt = now();
      return;
  }
}

function recordAnswerEvent(metrics: RequestMetrics, event: AnthropicStreamEvent, now: () => number): void {
  if (event.type === "content_block_start" || event.type === "content_block_delta") metrics.firstTokenAt ??= now();
  else if (event.type === "message_delta") {
    metrics.stopReason = event.delta.stop_reason ?? undefined;
    metrics.stopSequence = event.delta.stop_sequence ?? undefined;
    const usage = event.usage;
    metrics.outputTokens = usage.output_tokens;
    if (usage.input_tokens != null) metrics.promptTokens = usage.input_tokens + (usage.cache_read_input_tokens ?? 0);
    if (usage.cache_read_input_tokens != null) metrics.cachedTokens = usage.cache_read_input_tokens;
  } else if (event.type === "error") metrics.error = event.error.message;
}

/** Tells the call's record each event of the answer as it goes out; `message_stop` and `error` end the call. */
export function observeAnswer(call: CallRecord, end: (error?: string) => void): (event: AnthropicStreamEvent) => void {
  return (event) => {
    call.happened({ type: "answered", event });
    if (event.type === "message_stop" || event.type === "error") end();
  };
}

/** Tells the call's record its end and calls `log` with its metrics once, however it ends (finished, failed, or abandoned by the client). */
export function onceEnded(call: CallRecord, log: (metrics: Readonly<RequestMetrics>) => void): (error?: string) => void {
  let ended = false;
  return (error) => {
    if (ended) return;
    ended = true;
    call.happened({ type: "ended", error });
    log(call.metrics);
  };
}
