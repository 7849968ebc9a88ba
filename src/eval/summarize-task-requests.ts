import type { RoutingTable } from "../compile/routing-table.js";
import type { RequestSummary } from "../observe/dashboard/summarize-request.js";

/** What mallex measured of one task's requests: the same numbers as its log lines and /metrics. */
export interface TaskRequestMetrics {
  /** POST /v1/messages requests the task made through mallex. */
  requests: number;
  /** Of those, the ones that went to a Claude (anthropic) backend: escalations off the local model. */
  escalations: number;
  /** Requests that ended in an error (status or error event) or that the client abandoned. */
  failedRequests: number;
  promptTokens: number;
  cachedTokens: number;
  outputTokens: number;
  /** Time to first token: of the task's first request, and the mean over those that had one. */
  firstTtftMs?: number;
  meanTtftMs?: number;
  /** Up to the model's first token of each request, less queue and model-load waits (prompt processing). */
  prefillMs: number;
  /** From the model's first token of each request to the answer's end. */
  decodeMs: number;
  /** Waiting: for a turn in the backend's queue, for the model server to load. */
  waitMs: number;
  /** Every request from arrival to last byte, summed. */
  modelMs: number;
  /** mallex's own count of the calls the model wrote: repaired to run, and not run (shown as a note). */
  repairedToolCalls: number;
  rejectedToolCalls: number;
  /** Corrective retries of a forced tool_choice. */
  forcedCallRetries: number;
  /** Retries of an answer that called a tool the request does not offer (tools.retry_unknown_calls). */
  unknownCallRetries: number;
}

/** Pure: the task's numbers from the summaries of its requests (dashboard-feed's, one per request). */
export function summarizeTaskRequests(requests: readonly RequestSummary[], table: RoutingTable): TaskRequestMetrics {
  const metrics: TaskRequestMetrics = {
    requests: requests.length,
    escalations: 0,
    failedRequests: 0,
    promptTokens: 0,
    cachedTokens: 0,
    outputTokens: 0,
    prefillMs: 0,
    decodeMs: 0,
    waitMs: 0,
    modelMs: 0,
    repairedToolCalls: 0,
    rejectedToolCalls: 0,
    forcedCallRetries: 0,
    unknownCallRetries: 0,
  };
  const ttfts: number[] = [];
  for (const r of requests) {
    if (table.backends[r.backend]?.kind === "anthropic") metrics.escalations++;
    if (r.outcome !== "ok") metrics.failedRequests++;
    metrics.promptTokens += r.promptTokens ?? 0;
    metrics.cachedTokens += r.cachedTokens ?? 0;
    metrics.outputTokens += r.outputTokens ?? 0;
    metrics.modelMs += r.durationMs;
    metrics.repairedToolCalls += r.repairedToolCalls ?? 0;
    metrics.rejectedToolCalls += r.rejectedToolCalls ?? 0;
    metrics.forcedCallRetries += r.forcedCallRetries ?? 0;
    metrics.unknownCallRetries += r.unknownCallRetries ?? 0;
    const waits = (r.queuedMs ?? 0) + (r.loadingMs ?? 0);
    metrics.waitMs += waits;
    if (r.ttftMs !== undefined) ttfts.push(r.ttftMs);
    metrics.prefillMs += r.prefillMs ?? 0;
    metrics.decodeMs += r.decodeMs ?? 0;
  }
  if (ttfts.length > 0) {
    metrics.firstTtftMs = ttfts[0]!;
    metrics.meanTtftMs = Math.round(ttfts.reduce((a, b) => a + b, 0) / ttfts.length);
  }
  return metrics;
}
