import { nextTurn } from "../shared/next-turn.js";

/**
 * A computation that says where it may pause: it `yield`s between pieces of work (the block filters
 * yield before each regex a filter runs over a unit) and returns its result. It stays a pure
 * function of its inputs; who runs it decides whether a pause is taken. Each piece is bounded (one
 * filter over one unit of at most FILTER_MAX_UNIT_CHARS), so a driver that pauses can keep every
 * uninterrupted run on the event loop short whatever the request holds.
 */
export type Steps<T> = Generator<void, T, void>;

/** Runs the steps to their end on the calling stack (mallex explain, tests, benchmarks). */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

export interface YieldingOptions {
  /** How long one uninterrupted run may go before the event loop gets a turn, in ms. */
  sliceMs: number;
  /** A monotonic clock in ms (performance.now). */
  now(): number;
  /** Gives the event loop a turn: I/O waiting (a /health request, another client's bytes) runs first. */
  yieldTurn?: () => Promise<void>;
}

/** The default slice: short against the 100 ms a /health answer may take, long against one pause's cost. */
export const STEP_SLICE_MS = 10;

/**
 * Runs the steps, giving the event loop a turn (setImmediate: after pending I/O) each time a run has
 * gone `sliceMs`. A computation that finishes within one slice — every normal request — returns its
 * value directly, with no promise and no pause; only a longer one returns a promise.
 */
export function runStepsYielding<T>(steps: Steps<T>, options: YieldingOptions): T | Promise<T> {
  const started = options.now();
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    if (options.now() - started >= options.sliceMs) return continueLater(steps, options);
  }
}

async function continueLater<T>(steps: Steps<T>, options: YieldingOptions): Promise<T> {
  const yieldTurn = options.yieldTurn ?? nextTurn;
  for (;;) {
    await yieldTurn();
    const started = options.now();
    for (;;) {
      const step = steps.next();
      if (step.done === true) return step.value;
      if (options.now() - started >= options.sliceMs) break;
    }
  }
}
