import { MallexError } from "../shared/mallex-error.js";

/** A request found its backend's queue full: answered 529 overloaded_error at once. */
export class BackendQueueFullError extends MallexError {
  readonly backend: string;

  constructor(backend: string, limits: BackendQueueLimits) {
    const from = (source: string | undefined, key: string) => (source === undefined ? key : source === "set" ? `set by ${key}` : `${source}; ${key} sets it`);
    super(
      "E_BACKEND_BUSY",
      `Backend ${backend} is busy: it serves ${limits.maxInFlight} request(s) at a time (${from(limits.source, "server.max_in_flight_per_backend")}) ` +
        `and ${limits.maxWaiting} more are already waiting (${from(limits.waitingSource, "server.max_waiting_per_backend")}). Retry when one finishes.`,
      { kind: "backend-queue-full" },
    );
    this.name = "BackendQueueFullError";
    this.backend = backend;
  }

  static override readonly isInstance = MallexError.kindCheck<BackendQueueFullError>("backend-queue-full");
}

export interface BackendQueueLimits {
  /** Requests a backend serves at once (≥ 1). */
  maxInFlight: number;
  /** Requests that may wait for a slot (≥ 0); one more is refused at once. */
  maxWaiting: number;
  /** Where maxInFlight came from, for the refusal's message (backend-capacity.ts: "set", "server: …", "default for …"). */
  source?: string;
  /** Where maxWaiting came from. */
  waitingSource?: string;
}

/** Gives the slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

export interface AcquireOptions {
  /** The client going away while the request waits takes it out of the queue. */
  signal?: AbortSignal | undefined;
  /**
   * Whose request it is (x-claude-code-session-id, or the pool-session-key.ts hash of its stable
   * prefix): past the in-flight limit the sessions take turns. A function is called only when the
   * request has to wait (a hash of the prefix costs). Absent: one shared session.
   */
  session?: string | (() => string) | undefined;
}

export interface BackendQueues {
  /**
   * A slot on `backend`: at once when one is free, else once one is released — the sessions waiting
   * take turns (round-robin), and one session's requests go in arrival order. Rejects with
   * BackendQueueFullError when the queue is full, and with the signal's reason when the client goes
   * away while waiting (the request then leaves the queue).
   */
  acquire(backend: string, options?: AcquireOptions): Promise<ReleaseSlot>;
  /** Requests in flight and waiting on `backend`. */
  stats(backend: string): { inFlight: number; waiting: number };
}

interface Waiter {
  grant: () => void;
}

interface Lane {
  inFlight: number;
  waiting: number;
  /** Each session's waiters in arrival order; the Map's order is the turn order (the next session first). */
  sessions: Map<string, Waiter[]>;
}

/**
 * One bounded, fair queue per backend name, created with the server context (never module-level).
 * The limits are read at every acquire and release, not once: a backend's capacity is learned from
 * its server after it starts, and can change when it restarts.
 *
 * @example
 * const queues = createBackendQueues(() => ({ maxInFlight: 4, maxWaiting: 16 }));
 * const release = await queues.acquire("mlx", { signal: req.signal, session });
 * try { await callTheBackend(); } finally { release(); }
 */
export function createBackendQueues(limitsFor: (backend: string) => BackendQueueLimits): BackendQueues {
  const lanes = new Map<string, Lane>();
  const laneFor = (backend: string): Lane => {
    let lane = lanes.get(backend);
    if (!lane) lanes.set(backend, (lane = { inFlight: 0, waiting: 0, sessions: new Map() }));
    return lane;
  };

  /** Grants slots while there is room: each time to the first waiter of the session whose turn it is. */
  const pump = (backend: string, lane: Lane) => {
    if (lane.waiting === 0) return;
    const { maxInFlight } = limitsFor(backend);
    while (lane.inFlight < maxInFlight && lane.waiting > 0) {
      const [session, waiters] = lane.sessions.entries().next().value!;
      const waiter = waiters.shift()!;
      lane.sessions.delete(session);
      // The session goes to the back of the turn order, with whatever else it has waiting.
      if (waiters.length > 0) lane.sessions.set(session, waiters);
      lane.waiting--;
      lane.inFlight++;
      waiter.grant();
    }
  };

  const slot = (backend: string, lane: Lane): ReleaseSlot => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      lane.inFlight--;
      pump(backend, lane);
    };
  };

  return {
    acquire(backend, options = {}) {
      const { signal } = options;
      if (signal?.aborted) return Promise.reject(signal.reason);
      const lane = laneFor(backend);
      const limits = limitsFor(backend);
      // Nobody waits ahead of it (a raised limit lets the waiters in first, in their turns).
      if (lane.waiting === 0 && lane.inFlight < limits.maxInFlight) {
        lane.inFlight++;
        return Promise.resolve(slot(backend, lane));
      }
      if (lane.waiting >= limits.maxWaiting) return Promise.reject(new BackendQueueFullError(backend, limits));
      const session = typeof options.session === "function" ? options.session() : (options.session ?? "");
      return new Promise<ReleaseSlot>((resolve, reject) => {
        const onAbort = () => {
          const waiters = lane.sessions.get(session)!;
          waiters.splice(waiters.indexOf(waiter), 1);
          if (waiters.length === 0) lane.sessions.delete(session);
          lane.waiting--;
          reject(signal!.reason);
        };
        const waiter: Waiter = {
          grant: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve(slot(backend, lane));
          },
        };
        const waiters = lane.sessions.get(session);
        if (waiters === undefined) lane.sessions.set(session, [waiter]);
        else waiters.push(waiter);
        lane.waiting++;
        signal?.addEventListener("abort", onAbort, { once: true });
        pump(backend, lane);
      });
    },
    stats(backend) {
      const lane = lanes.get(backend);
      return { inFlight: lane?.inFlight ?? 0, waiting: lane?.waiting ?? 0 };
    },
  };
}
