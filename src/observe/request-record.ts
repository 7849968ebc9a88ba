import type { ClassifierOutcome } from "../router/classify-with-model.js";
import type { RouteDecision } from "../router/select-route.js";
import type { AnthropicMessage, AnthropicStreamEvent } from "../translate/anthropic-types.js";
import type { ToolCallOutcome } from "../translate/assemble-content-blocks.js";
import type { TrimReport } from "../trim/trim-types.js";
import { countToolCall, type RequestMetrics } from "./request-log.js";
import type { RequestTrace } from "./request-metrics.js";

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
