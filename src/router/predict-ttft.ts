/**
 * What mallex learned about one profile's model on its backend, from the requests it served: recent
 * per-request rates, newest last (see src/observe/learn-rates.ts). Rates are in the backend's own
 * tokens; `tokenRatio` turns mallex's estimate (characters / 3.5) into them.
 */
export interface LearnedRates {
  /** Uncached prompt tokens prefilled per second (prompt − cached tokens over the time to first token). */
  prefill: number[];
  /** Tokens generated per second after the first one. */
  decode: number[];
  /** The backend's prompt tokens per token mallex estimated for the same prompt. */
  tokenRatio: number[];
  /**
   * Prompt tokens the backend had cached for a session's first request: what every session shares
   * (the system prompt, the tools, the project's reminders), prefilled once by an earlier session.
   */
  sharedPrefix: number[];
}

/** Fewer samples than this and a rate is not known yet: one request may have waited for a model to load. */
export const MIN_SAMPLES = 3;

/**
 * A rate (or any learned number) from its samples: the median of the recent ones, so that one request
 * that waited (in the backend's queue, for a model load) or hit a cold cache cannot move it, as it
 * would an average. Undefined below {@link MIN_SAMPLES}.
 */
export function rateOf(samples: readonly number[] | undefined): number | undefined {
  if (samples === undefined || samples.length < MIN_SAMPLES) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A request's prompt as routing sees it, in mallex's estimated tokens. */
export interface PromptToPrefill {
  /** The whole prompt after trimming (the trim report's `after.tokens`). */
  tokens: number;
  /**
   * The prompt of this session's previous request to the same profile: Claude Code's conversation grows
   * by appending, so the backend's prefix cache likely holds that much of this one. Absent: a new
   * session (or one that never ran on this profile), of which only the learned shared prefix counts
   * as cached.
   */
  previousTokens?: number;
}

export interface TtftPrediction {
  /** Predicted milliseconds from the request to its first token. */
  ms: number;
  /** Prompt tokens the backend will have to prefill, in its own tokens. */
  uncachedTokens: number;
  /** The learned prefill rate the prediction used. */
  prefillPerSecond: number;
}

/**
 * The time to first token a request will likely see: its uncached prompt over the learned prefill
 * rate. Uncached is what was appended since the session's previous prompt; for a new session, or a
 * prompt shorter than the previous one (compacted, or another conversation under the same session),
 * all of it less the prefix sessions share, once that is learned. Undefined without a learned
 * prefill rate: routing never acts on a guess. Pure.
 */
export function predictTtft(rates: LearnedRates | undefined, prompt: PromptToPrefill): TtftPrediction | undefined {
  const prefillPerSecond = rateOf(rates?.prefill);
  if (prefillPerSecond === undefined || prefillPerSecond <= 0) return undefined;
  const ratio = rateOf(rates?.tokenRatio) ?? 1;
  const previous = prompt.previousTokens;
  const uncachedTokens =
    previous !== undefined && previous <= prompt.tokens
      ? Math.round((prompt.tokens - previous) * ratio)
      : Math.max(0, Math.round(prompt.tokens * ratio - (rateOf(rates?.sharedPrefix) ?? 0)));
  return { ms: (uncachedTokens / prefillPerSecond) * 1000, uncachedTokens, prefillPerSecond };
}

/** `42 s`, `1.5 s`: seconds as the log and route reasons write them. */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${s >= 10 ? Math.round(s) : Number(s.toFixed(1))} s`;
}
