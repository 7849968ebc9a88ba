import type { RequestMetrics } from "./request-log.js";
import type { RequestOutcome } from "./request-record.js";
import { clipText, RETENTION_LIMITS } from "../shared/retention-limits.js";

/** How a /v1/messages request ended, as the debug log and the saved last request tell it. */
export interface ResponseSummary {
  status: number;
  outcome: RequestOutcome;
  durationMs: number;
  /** From the request's arrival to the first token of a streamed local answer. */
  ttftMs?: number;
  stopReason?: string;
  /** mallex's own cap ended the answer at this many tokens (RequestMetrics.cutAtCap): stopReason is max_tokens, the cap mallex's rather than the client's. */
  cutAtCap?: number;
  stopSequence?: string;
  inputTokens?: number;
  cachedTokens?: number;
  outputTokens?: number;
  notes?: string[];
  error?: string;
}

export interface SummaryInput {
  status: number;
  outcome: RequestOutcome;
  /** The request's arrival and end, on the same clock. */
  started: number;
  finishedAt: number;
  /** The request log's numbers (a local backend's answer). */
  metrics?: RequestMetrics;
  /** An error answer's body (Anthropic's error envelope), mallex's own or the API's. */
  errorBody?: string;
  /** What was seen of a forwarded Anthropic answer: its beginning and end (see watch-upstream.ts). */
  forwarded?: string;
  /** Why the request threw, when it did. */
  thrown?: unknown;
}

/** Pure: the summary from whatever the request left (the local request log's numbers, else the forwarded answer's text). */
export function summarizeResponse(input: SummaryInput): ResponseSummary {
  const summary: ResponseSummary = { status: input.status, outcome: input.outcome, durationMs: Math.round(input.finishedAt - input.started) };
  const m = input.metrics;
  if (m) {
    if (m.firstTokenAt !== undefined && m.firstTokenAt > m.started) summary.ttftMs = Math.round(m.firstTokenAt - input.started);
    assign(summary, {
      stopReason: m.stopReason,
      cutAtCap: m.cutAtCap,
      stopSequence: m.stopSequence,
      inputTokens: m.promptTokens,
      cachedTokens: m.cachedTokens,
      outputTokens: m.outputTokens,
      notes: m.notes,
      error: m.error,
    });
  } else if (input.forwarded !== undefined) {
    assign(summary, readForwardedAnswer(input.forwarded));
  }
  if (summary.error === undefined && input.errorBody !== undefined) summary.error = errorMessageOf(input.errorBody);
  if (summary.error === undefined && input.thrown !== undefined) summary.error = input.thrown instanceof Error ? input.thrown.message : String(input.thrown);
  if (summary.error !== undefined) summary.error = clipText(summary.error, RETENTION_LIMITS.messageChars);
  return summary;
}

/**
 * Stop reason, usage and error of an Anthropic answer (SSE or JSON) from what was kept of its text,
 * by its keys: `message_start` carries the input tokens, `message_delta` (or the message's end) the
 * stop reason and output tokens, an `error` event or envelope the message. A key inside the content
 * is escaped in the JSON text (`\"stop_reason\"`) and does not match.
 */
export function readForwardedAnswer(text: string): Partial<ResponseSummary> {
  const last = (pattern: RegExp) => [...text.matchAll(pattern)].at(-1)?.[1];
  const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  const error = /"type"\s*:\s*"error"\s*,\s*"error"\s*:\s*\{[^}]*?"message"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(text)?.[1];
  return {
    stopReason: last(/"stop_reason"\s*:\s*"([a-z_]+)"/g),
    inputTokens: number(/"input_tokens"\s*:\s*(\d+)/.exec(text)?.[1]),
    cachedTokens: number(/"cache_read_input_tokens"\s*:\s*(\d+)/.exec(text)?.[1]),
    outputTokens: number(last(/"output_tokens"\s*:\s*(\d+)/g)),
    error: error === undefined ? undefined : (JSON.parse(error) as string),
  };
}

/** The message of an Anthropic error envelope, else the body's start. */
function errorMessageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === "string") return parsed.error.message;
  } catch {
    // not JSON: shown as it is
  }
  return body.trim().slice(0, 500) || "(empty body)";
}

function assign(summary: ResponseSummary, values: Partial<ResponseSummary>): void {
  for (const [key, value] of Object.entries(values)) if (value !== undefined) (summary as unknown as Record<string, unknown>)[key] = value;
}
