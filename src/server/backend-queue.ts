const MARKER = Symbol.for("mallex.backend-queue-full");

/** A request found its backend's queue full: answered 529 overloaded_error at once. */
export class BackendQueueFullError extends Error {
  readonly [MARKER] = true;
  readonly backend: string;

  constructor(backend: string, limits: BackendQueueLimits) {
    super(
      `Backend ${backend} is busy: it serves ${limits.maxInFlight} request(s) at a time and ${limits.maxWaiting} more are already waiting ` +
        `(server.max_in_flight_per_backend, server.max_waiting_per_backend). Retry when one finishes.`,
    );
    this.name = "BackendQueueFullError";
    this.backend = backend;
  }

  static isInstance(error: unknown): error is BackendQueueFullError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}

export interface BackendQueueLimits {
  /** Requests a backend serves at once (≥ 1). */
  maxInFlight: number;
  /** Requests that may wait for a slot (≥ 0); one more is refused at once. */
  maxWaiting: number;
}

/** Gives the slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

export interface BackendQueues {
  /**
   * A slot on `backend`: at once when one is free, else in arrival order once one is released.
   * Rejects with BackendQueueFullError when the queue is full, and with the signal's reason when the
   * client goes away while waiting (the request then leaves the queue).
   */
  acquire(backend: string, signal?: AbortSignal): Promise<ReleaseSlot>;
  /** Requests in flight and waiting on `backend`. */
  stats(backend: string): { inFlight: number; waiting: number };
}

interface Waiter {
  grant: (release: ReleaseSlot) => void;
}

interface Lane {
  inFlight: number;
  waiting: Waiter[];
}

/**
 * One bounded FIFO queue per backend name, created with the server context (never module-level):
 * at most `maxInFlight` requests reach a backend at once, at most `maxWaiting` wait behind them.
 *
 * @example
 * const queues = createBackendQueues({ maxInFlight: 1, maxWaiting: 16 });
 * const release = await queues.acquire("mlx", req.signal);
 * try { await callTheBackend(); } finally { release(); }
 */
export function createBackendQueues(limits: BackendQueueLimits): BackendQueues {
  const lanes = new Map<string, Lane>();
  const laneFor = (backend: string): Lane => {
    let lane = lanes.get(backend);
    if (!lane) lanes.set(backend, (lane = { inFlight: 0, waiting: [] }));
    return lane;
  };

  const slot = (lane: Lane): ReleaseSlot => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = lane.waiting.shift();
      // The slot passes straight to the next waiter: inFlight stays the same.
      if (next) next.grant(slot(lane));
      else lane.inFlight--;
    };
  };

  return {
    acquire(backend, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      const lane = laneFor(backend);
      if (lane.inFlight < limits.maxInFlight) {
        lane.inFlight++;
        return Promise.resolve(slot(lane));
      }
      if (lane.waiting.length >= limits.maxWaiting) return Promise.reject(new BackendQueueFullError(backend, limits));
      return new Promise<ReleaseSlot>((resolve, reject) => {
        const onAbort = () => {
          lane.waiting.splice(lane.waiting.indexOf(waiter), 1);
          reject(signal!.reason);
        };
        const waiter: Waiter = {
          grant: (release) => {
            signal?.removeEventListener("abort", onAbort);
            resolve(release);
          },
        };
        lane.waiting.push(waiter);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
    stats(backend) {
      const lane = lanes.get(backend);
      return { inFlight: lane?.inFlight ?? 0, waiting: lane?.waiting.length ?? 0 };
    },
  };
}
