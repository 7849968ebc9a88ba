import type { RoutingTable } from "../../compile/routing-table.js";
import { describeTrimRules } from "../../trim/summarize-trim-report.js";
import { NOTABLE_WAIT_MS, phasesOf, speedsOf } from "../request-log.js";
import type { RequestEnd, RequestTrace } from "../request-record.js";
import { routeLabelsOf } from "../../router/route-header.js";
import { clipText, RETENTION_LIMITS } from "../../shared/retention-limits.js";

/** One finished /v1/messages request as the dashboard and `mallex status` show it: numbers and words, never prompt text. */
export interface RequestSummary {
  id: string;
  /** RFC 3339 wall-clock time the request ended. */
  at: string;
  /** The model name the client asked for (`(unread)`: refused before its body was read). */
  model: string;
  tier: string;
  profile: string;
  /** The model that served the profile in place of its own (`--embedded`: the GGUF's name); absent: the profile's own. */
  served?: string;
  backend: string;
  reason: string;
  status: number;
  outcome: RequestEnd["outcome"];
  durationMs: number;
  charsIn?: number;
  charsOut?: number;
  /** The rules that cut, in the request log's words. */
  rules?: string;
  promptTokens?: number;
  cachedTokens?: number;
  outputTokens?: number;
  ttftMs?: number;
  /** Its wait for a turn in its backend's queue, then for its model server, when long enough to matter. */
  queuedMs?: number;
  loadingMs?: number;
  prefillTps?: number;
  decodeTps?: number;
  /** The backend's prefill (after any wait, to the model's first token) and decode (from it to the end). */
  prefillMs?: number;
  decodeMs?: number;
  stopReason?: string;
  /** mallex's own output cap ended the answer at this many tokens: stopReason is max_tokens, the cap mallex's rather than the client's. */
  cutAtCap?: number;
  /** Tool calls the model wrote, and of those the ones mallex repaired or could not run (absent: none written). */
  toolCalls?: number;
  repairedToolCalls?: number;
  rejectedToolCalls?: number;
  /** Forced-call retries (absent: none). */
  forcedCallRetries?: number;
  /** Retries of an answer that called a tool the request does not offer (absent: none). */
  unknownCallRetries?: number;
  error?: string;
}

/** Pure: the summary of a request from what the request log and the metrics already gathered. */
export function summarizeRequest(input: { id: string; at: string; trace: RequestTrace; end: RequestEnd; table: RoutingTable }): RequestSummary {
  const { trace, end } = input;
  const labels = trace.route ? routeLabelsOf(trace.route, input.table) : { tier: "none", profile: "none", backend: "none", reason: "refused before routing" };
  const summary: RequestSummary = {
    id: input.id,
    at: input.at,
    model: trace.model ?? "(unread)",
    tier: labels.tier,
    profile: labels.profile,
    backend: labels.backend,
    reason: labels.reason,
    status: end.status,
    outcome: end.outcome,
    durationMs: Math.max(0, Math.round(end.finishedAt - trace.started)),
  };
  const served = trace.route?.profile.servedName;
  if (served !== undefined) summary.served = served;
  const m = trace.metrics;
  if (m) {
    summary.charsIn = m.charsIn;
    summary.charsOut = m.charsOut;
    if (m.trim !== undefined) summary.rules = describeTrimRules(m.trim);
    if (m.promptTokens !== undefined) summary.promptTokens = m.promptTokens;
    if (m.cachedTokens !== undefined) summary.cachedTokens = m.cachedTokens;
    if (m.outputTokens !== undefined) summary.outputTokens = m.outputTokens;
    if (m.stopReason !== undefined) summary.stopReason = m.stopReason;
    if (m.cutAtCap !== undefined) summary.cutAtCap = m.cutAtCap;
    if (m.queuedMs !== undefined && m.queuedMs >= NOTABLE_WAIT_MS) summary.queuedMs = Math.round(m.queuedMs);
    if (m.loadingMs !== undefined && m.loadingMs >= NOTABLE_WAIT_MS) summary.loadingMs = Math.round(m.loadingMs);
    if (m.firstTokenAt !== undefined) summary.ttftMs = Math.round(m.firstTokenAt - trace.started);
    Object.assign(summary, speedsOf(m));
    const phases = phasesOf(m);
    if (phases !== undefined)
      Object.assign(summary, { prefillMs: Math.max(0, Math.round(phases.prefillMs)), decodeMs: Math.max(0, Math.round(phases.decodeMs)) });
    if (m.toolCalls !== undefined)
      Object.assign(summary, { toolCalls: m.toolCalls.made, repairedToolCalls: m.toolCalls.repaired, rejectedToolCalls: m.toolCalls.rejected });
    if (m.forcedCallRetries !== undefined) summary.forcedCallRetries = m.forcedCallRetries;
    if (m.unknownCallRetries !== undefined) summary.unknownCallRetries = m.unknownCallRetries;
    if (m.error !== undefined) summary.error = m.error;
  }
  if (summary.error === undefined && trace.failure !== undefined) summary.error = trace.failure;
  if (summary.error === undefined && end.outcome === "error") summary.error = end.error instanceof Error ? end.error.message : `status ${end.status}`;
  if (summary.error === undefined && end.outcome === "cancelled") summary.error = "the client went away";
  // A message may quote what the client sent (its model, a tool's name): 200 of these are kept.
  if (summary.error !== undefined) summary.error = clipText(summary.error, RETENTION_LIMITS.messageChars);
  return summary;
}
