import { BackendError } from "./backend-error.js";

/**
 * One breaker per backend, owned by the server context: `closed` lets every request through and
 * counts consecutive failures (5xx, 529, connect errors, timeouts, resets); at `failureThreshold` in a
 * row it goes `open` for a cool-down (the longer of `coolDownMs` and the backend's `retry-after`),
 * during which routing treats the backend as unavailable, so the tier's fallback serves; once the
 * cool-down is over it is `half-open`: one request probes, and its outcome closes the breaker or
 * opens it again. The clock is injected (`now`, in ms).
 */
export type BreakerState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /** Shortest time open before a probe. */
  coolDownMs: number;
  /** Longest cool-down a `retry-after` may ask for (a bogus header never disables a backend for hours). */
  maxCoolDownMs: number;
  now(): number;
  /** Told when a breaker opens (again) or closes, for the log: mallex routing around a backend is news. */
  onChange?(backend: string, change: { state: "open"; failures: number; forMs: number } | { state: "closed" }): void;
}

export const BREAKER_DEFAULTS = { failureThreshold: 5, coolDownMs: 30_000, maxCoolDownMs: 300_000 } as const;

/** How a call ended, for the breaker: `neutral` (client gone, refused before sending) frees a probe and counts nothing. */
export type CallOutcome = { ok: true } | { ok: false; retryAfterMs?: number } | "neutral";

export interface CallTicket {
  end(outcome: CallOutcome): void;
}

export interface CircuitBreakers {
  /** Whether `backend` may take a request now (no side effect: routing asks as often as it likes). */
  /** Whether it may take a request now; not: why, and in how long it is tried again (open: its cool-down; probing: the probe's answer, ~1 s). */
  check(backend: string): { ok: true } | { ok: false; reason: string; retryAfterMs: number };
  /** Starts a call to `backend` (in half-open: takes the one probe); end the ticket once its outcome is known. */
  begin(backend: string): CallTicket;
  state(backend: string): BreakerState;
  /** While `backend` cools down (open): ms until a probe may try it; undefined when it is not open. */
  coolDownLeftMs(backend: string): number | undefined;
  /** The backends a call has been made to, in the order first seen. */
  known(): string[];
  /** An active probe found `backend` answering while it cooled down: closed now, no request spent on finding out. */
  close(backend: string): void;
}

interface Breaker {
  failures: number;
  openUntil?: number;
  probing: boolean;
}

export function createCircuitBreakers(options: Partial<CircuitBreakerOptions> = {}): CircuitBreakers {
  const { failureThreshold, coolDownMs, maxCoolDownMs } = { ...BREAKER_DEFAULTS, ...options };
  const now = options.now ?? (() => performance.now());
  const breakers = new Map<string, Breaker>();
  const breakerOf = (name: string): Breaker => {
    let breaker = breakers.get(name);
    if (!breaker) breakers.set(name, (breaker = { failures: 0, probing: false }));
    return breaker;
  };
  const stateOf = (breaker: Breaker | undefined): BreakerState =>
    breaker?.openUntil === undefined ? "closed" : now() < breaker.openUntil ? "open" : "half-open";

  return {
    state: (name) => stateOf(breakers.get(name)),
    coolDownLeftMs(name) {
      const breaker = breakers.get(name);
      return stateOf(breaker) === "open" ? breaker!.openUntil! - now() : undefined;
    },
    known: () => [...breakers.keys()],
    close(name) {
      const breaker = breakers.get(name);
      if (breaker?.openUntil === undefined) return;
      Object.assign(breaker, { failures: 0, openUntil: undefined });
      options.onChange?.(name, { state: "closed" });
    },
    check(name) {
      const breaker = breakers.get(name);
      const state = stateOf(breaker);
      if (state === "closed" || (state === "half-open" && !breaker!.probing)) return { ok: true };
      const retryAfterMs = state === "open" ? breaker!.openUntil! - now() : 1000;
      const wait = state === "open" ? `; trying again in ${Math.ceil(retryAfterMs / 1000)} s` : "; one request is probing it";
      return { ok: false, reason: `backend ${name} failed ${breaker!.failures} times in a row (circuit open${wait})`, retryAfterMs };
    },
    begin(name) {
      const breaker = breakerOf(name);
      const probe = stateOf(breaker) === "half-open" && !breaker.probing;
      if (probe) breaker.probing = true;
      let ended = false;
      return {
        end(outcome) {
          if (ended) return;
          ended = true;
          if (probe) breaker.probing = false;
          if (outcome === "neutral") return;
          if (outcome.ok) {
            // A call that started before the breaker opened says nothing about now: only a probe closes it.
            if (stateOf(breaker) === "closed" || probe) Object.assign(breaker, { failures: 0, openUntil: undefined });
            if (probe) options.onChange?.(name, { state: "closed" });
            return;
          }
          breaker.failures += 1;
          if (probe || (stateOf(breaker) === "closed" && breaker.failures >= failureThreshold)) {
            const forMs = Math.min(Math.max(coolDownMs, outcome.retryAfterMs ?? 0), maxCoolDownMs);
            breaker.openUntil = now() + forMs;
            options.onChange?.(name, { state: "open", failures: breaker.failures, forMs });
          }
        },
      };
    },
  };
}

/** 5xx and 529 say the backend is unwell; any other status (4xx, 429 included) is an answer. */
export function isBackendFailureStatus(status: number): boolean {
  return status >= 500;
}

/** The outcome of a call that threw: a BackendError that is the backend's fault counts; anything else (an abort) does not. */
export function outcomeOfError(error: unknown): CallOutcome {
  if (!BackendError.isInstance(error)) return "neutral";
  if (error.failure === "http" && error.status !== undefined && !isBackendFailureStatus(error.status)) return { ok: true };
  return { ok: false, ...retryAfterOf(error.retryAfter) };
}

/** `retry-after` (seconds or an HTTP date) in ms, as an optional field. */
export function retryAfterOf(value: string | null | undefined, now = Date.now()): { retryAfterMs?: number } {
  if (!value) return {};
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return { retryAfterMs: seconds * 1000 };
  const date = Date.parse(value);
  return Number.isNaN(date) ? {} : { retryAfterMs: Math.max(0, date - now) };
}
