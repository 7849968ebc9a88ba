/**
 * How often a crashed or wedged server may be restarted: at most `maxRestarts` within a sliding
 * `windowMs`, each after an exponentially growing delay (base, 2×base, 4×base … capped at maxDelayMs).
 */
export interface RestartPolicy {
  /** The next restart, or undefined when the budget is spent (the supervisor then fails). */
  next(): { attempt: number; delayMs: number } | undefined;
  /** Forget past restarts (a fresh start by the user). */
  reset(): void;
}

export interface RestartPolicyOptions {
  maxRestarts: number;
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  now(): number;
}

export function createRestartPolicy(options: RestartPolicyOptions): RestartPolicy {
  let restarts: number[] = [];
  return {
    next() {
      const now = options.now();
      restarts = restarts.filter((at) => now - at < options.windowMs);
      if (restarts.length >= options.maxRestarts) return undefined;
      restarts.push(now);
      const attempt = restarts.length;
      return { attempt, delayMs: Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1)) };
    },
    reset() {
      restarts = [];
    },
  };
}
