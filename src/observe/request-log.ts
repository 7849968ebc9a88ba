import type { ToolCallOutcome } from "../translate/assemble-content-blocks.js";
import { describeTrimRules } from "../trim/summarize-trim-report.js";
import type { TrimReport } from "../trim/trim-types.js";

/** Numbers gathered while a response streams, for the one log line per request. */
export interface RequestMetrics {
  route: string;
  charsIn: number;
  charsOut: number;
  /** What trimming did, described when the line is written (describeTrimRules), not on the request's path. */
  trim?: TrimReport;
  started: number;
  /** How long the request waited for its turn in the backend's queue, then for its server to be ready. */
  queuedMs?: number;
  loadingMs?: number;
  /** When it went to the backend: the time to its first token from here is the backend's prefill. */
  sentAt?: number;
  /** The client's first content block: its time to first token. */
  firstTokenAt?: number;
  /**
   * The backend's first generated token (text, reasoning or a piece of a tool call), which can come
   * long before the client's first block: a tool call is held until it is whole. Prefill ends here.
   */
  modelTokenAt?: number;
  finishedAt?: number;
  promptTokens?: number;
  cachedTokens?: number;
  outputTokens?: number;
  stopReason?: string;
  /**
   * mallex's own output cap ended the answer at this many tokens (the profile's max_output_tokens, or
   * what a small context leaves): the client was told max_tokens, with a note in the answer naming the cap.
   */
  cutAtCap?: number;
  /** The stop sequence that ended the answer (stop reason `stop_sequence`). */
  stopSequence?: string;
  /** What mallex changed about the answer that the user should know, e.g. thinking stripped by the profile. */
  notes?: string[];
  /** The tool calls the model wrote (see countToolCall); absent: none. */
  toolCalls?: ToolCallCounts;
  /** Corrective retries of a forced tool_choice the server did not enforce. */
  forcedCallRetries?: number;
  /** Retries of an answer that called a tool the request does not offer (tools.retry_unknown_calls). */
  unknownCallRetries?: number;
  error?: string;
}

/** The calls one answer held: made = ran as written + repaired + rejected; `repairs`: the kinds of repair seen, once each. */
export interface ToolCallCounts {
  made: number;
  repaired: number;
  rejected: number;
  repairs: string[];
}

/** Counts one call of the answer in its metrics (the assembler's onToolCall). */
export function countToolCall(metrics: RequestMetrics, call: ToolCallOutcome): void {
  const counts = (metrics.toolCalls ??= { made: 0, repaired: 0, rejected: 0, repairs: [] });
  counts.made++;
  if (call.rejected) counts.rejected++;
  else if (call.repairs.length > 0) {
    counts.repaired++;
    // Kinds, not instances: "tool name read_file → Read" once however often the model slips.
    for (const repair of call.repairs) if (!counts.repairs.includes(repair) && counts.repairs.length < MAX_REPAIR_KINDS) counts.repairs.push(repair);
  }
}

const MAX_REPAIR_KINDS = 5;

/** Waits shorter than this are not worth a word in the log line (or the dashboard). */
export const NOTABLE_WAIT_MS = 10;

/**
 * `route · chars in → out · rules that trimmed · prompt tokens (cached) · waits · time to first
 * token · prefill and decode tokens/s · notes · stop reason`: the numbers users tune their setup with.
 */
export function formatRequestLog(m: RequestMetrics): string {
  const cut = m.charsIn > 0 ? Math.round((1 - m.charsOut / m.charsIn) * 100) : 0;
  const parts = [m.route, `${m.charsIn} → ${m.charsOut} chars (${cut >= 0 ? "−" : "+"}${Math.abs(cut)}%)`];
  if (m.trim !== undefined) parts.push(`rules: ${describeTrimRules(m.trim)}`);
  if (m.promptTokens !== undefined) parts.push(`prompt ${m.promptTokens} tok (${m.cachedTokens ?? 0} cached)`);
  if ((m.queuedMs ?? 0) >= NOTABLE_WAIT_MS) parts.push(`queued ${seconds(m.queuedMs!)}`);
  if ((m.loadingMs ?? 0) >= NOTABLE_WAIT_MS) parts.push(`waited ${seconds(m.loadingMs!)} for the model server`);
  if (m.firstTokenAt !== undefined) {
    parts.push(`ttft ${seconds(m.firstTokenAt - m.started)}`);
    const { prefillTps, decodeTps } = speedsOf(m);
    if (prefillTps !== undefined) parts.push(`prefill ${prefillTps} tok/s`);
    if (m.outputTokens !== undefined) parts.push(`out ${m.outputTokens} tok${decodeTps === undefined ? "" : ` at ${decodeTps} tok/s`}`);
  }
  if (m.notes !== undefined) parts.push(...m.notes);
  const fixes = describeToolCallFixes(m);
  if (fixes !== undefined) parts.push(fixes);
  const stopSequence = m.stopSequence !== undefined ? ` ${JSON.stringify(m.stopSequence)}` : "";
  parts.push(m.error ? `error: ${m.error}` : `stop ${m.stopReason ?? "?"}${stopSequence}`);
  return parts.join(" · ");
}

/** `tool calls 3: 1 repaired (tool name read_file → Read), 1 not run · 2 forced-call retries`, only when something needed fixing. */
export function describeToolCallFixes(m: Pick<RequestMetrics, "toolCalls" | "forcedCallRetries" | "unknownCallRetries">): string | undefined {
  const calls = m.toolCalls;
  const parts: string[] = [];
  if (calls !== undefined && (calls.repaired > 0 || calls.rejected > 0)) {
    const fixed = [
      calls.repaired > 0 ? `${calls.repaired} repaired (${calls.repairs.join("; ")})` : "",
      calls.rejected > 0 ? `${calls.rejected} not run` : "",
    ].filter((part) => part !== "");
    parts.push(`tool calls ${calls.made}: ${fixed.join(", ")}`);
  }
  if ((m.forcedCallRetries ?? 0) > 0) parts.push(`${m.forcedCallRetries} forced-call ${m.forcedCallRetries === 1 ? "retry" : "retries"}`);
  if ((m.unknownCallRetries ?? 0) > 0) parts.push(`${m.unknownCallRetries} unknown-tool ${m.unknownCallRetries === 1 ? "retry" : "retries"}`);
  return parts.length === 0 ? undefined : parts.join(" · ");
}

/**
 * Tokens per second, rounded, as the log line, the dashboard and `mallex status` show them: prefill
 * over the uncached prompt from the request's way to the backend to its first token, decode after it.
 */
export function speedsOf(m: RequestMetrics): { prefillTps?: number; decodeTps?: number } {
  const phases = phasesOf(m);
  if (phases === undefined) return {};
  const speeds: { prefillTps?: number; decodeTps?: number } = {};
  const prefilled = (m.promptTokens ?? 0) - (m.cachedTokens ?? 0);
  if (prefilled > 0 && phases.prefillMs > 0) speeds.prefillTps = Math.round(prefilled / (phases.prefillMs / 1000));
  if (m.outputTokens !== undefined && phases.decodeMs > 0) speeds.decodeTps = Math.round(m.outputTokens / (phases.decodeMs / 1000));
  return speeds;
}

/**
 * The backend's prefill (from the request's way to it, after any wait, to its first generated token)
 * and decode (from there to the end). Timed by the model's first token, not the client's first block:
 * an answer that is one tool call reaches the client whole, and timed by that its decode would count
 * as prefill (prefill 30 tok/s, "out 45 tok at 2369793 tok/s").
 */
export function phasesOf(m: RequestMetrics): { prefillMs: number; decodeMs: number } | undefined {
  const first = m.modelTokenAt ?? m.firstTokenAt;
  if (first === undefined) return undefined;
  return { prefillMs: first - (m.sentAt ?? m.started), decodeMs: (m.finishedAt ?? first) - first };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
