import type { LearnedRates } from "../router/predict-ttft.js";
import { phasesOf, type RequestMetrics } from "./request-log.js";

/** Recent samples kept per rate: enough for a stable median, few enough to follow a slower machine within a few requests. */
export const RATE_WINDOW = 9;
/** Below this many uncached prompt tokens, the request's fixed costs (HTTP, templating, scheduling) weigh too much in its time to first token. */
export const MIN_PREFILL_TOKENS = 1024;
/** Below this many generated tokens, the decode time is mostly the last chunk's way out. */
export const MIN_DECODE_TOKENS = 32;

/** What one finished local request says about its backend's speed; absent fields taught nothing. */
export interface RateSample {
  prefill?: number;
  decode?: number;
  tokenRatio?: number;
  sharedPrefix?: number;
  /** The backend's time to first token in ms (see {@link ttftOf}). */
  ttftMs?: number;
}

/**
 * The learned rates with what the Models page shows beside them: the recent times to first token, kept
 * with them (one file, ttft-rates.ts) but never used to predict one (that is the prefill rate's work).
 */
export interface MeasuredRates extends LearnedRates {
  /** The backend's time to first token of recent requests, in ms, whatever their prompt's size. */
  ttftMs: number[];
}

/**
 * The rates one finished request shows, from the request log's numbers: prefill from the uncached
 * prompt tokens (the backend's usage: prompt − cached) over the time from sending it to its first token,
 * decode from the tokens after the first over the time after it. A failed request, an answer read in
 * one piece (no first token of its own), a tiny prompt or a short answer teaches nothing of that rate.
 * `estimatedTokens`: mallex's estimate of the same prompt (the trim report's), for the token ratio;
 * `newSession`: the request is its session's first on this profile (or has no session), so what the
 * backend had cached of it is what sessions share.
 */
export function sampleOf(m: RequestMetrics, estimatedTokens: number, newSession: boolean): RateSample | undefined {
  if (m.error !== undefined || m.firstTokenAt === undefined || m.promptTokens === undefined) return undefined;
  const sample: RateSample = {};
  // Timed from the request's way to the backend: a wait in its queue or for its model to load is no prefill.
  const { prefillMs, decodeMs } = phasesOf(m)!;
  const prefilled = m.promptTokens - (m.cachedTokens ?? 0);
  if (prefillMs > 0 && prefilled >= MIN_PREFILL_TOKENS) sample.prefill = prefilled / (prefillMs / 1000);
  if (prefillMs > 0 && decodeMs > 0 && m.outputTokens !== undefined && m.outputTokens >= MIN_DECODE_TOKENS)
    sample.decode = (m.outputTokens - 1) / (decodeMs / 1000);
  if (estimatedTokens > 0 && m.promptTokens >= MIN_PREFILL_TOKENS) sample.tokenRatio = m.promptTokens / estimatedTokens;
  if (newSession && m.cachedTokens !== undefined) sample.sharedPrefix = m.cachedTokens;
  return Object.keys(sample).length === 0 ? undefined : sample;
}

/**
 * The backend's time to first token of one finished request: from its way to the backend (a wait in the
 * queue or for the model to load is not the model's) to the model's first token, at any prompt size,
 * as Claude Code's requests come. Undefined for a failed request or an answer read in one piece.
 */
export function ttftOf(m: RequestMetrics): number | undefined {
  if (m.error !== undefined) return undefined;
  const prefillMs = phasesOf(m)?.prefillMs;
  return prefillMs !== undefined && prefillMs > 0 ? prefillMs : undefined;
}

/** The rates with one request's sample added, the oldest beyond {@link RATE_WINDOW} dropped. Pure. */
export function addSample(rates: Partial<MeasuredRates> | undefined, sample: RateSample): MeasuredRates {
  // A rate is positive; a shared prefix may be nothing (a model server that just started).
  const push = (samples: readonly number[] | undefined, value: number | undefined, least = Number.MIN_VALUE) => {
    const kept = samples ?? [];
    return value === undefined || !Number.isFinite(value) || value < least ? [...kept] : [...kept, value].slice(-RATE_WINDOW);
  };
  return {
    prefill: push(rates?.prefill, sample.prefill),
    decode: push(rates?.decode, sample.decode),
    tokenRatio: push(rates?.tokenRatio, sample.tokenRatio),
    sharedPrefix: push(rates?.sharedPrefix, sample.sharedPrefix, 0),
    ttftMs: push(rates?.ttftMs, sample.ttftMs),
  };
}
