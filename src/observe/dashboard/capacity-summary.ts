import type { BackendCapacities } from "../backend-capacities.js";
import type { BackendQueues } from "../../backends/backend-queue.js";

/** One local backend's queue (one pool server's) as the dashboard and `mallex status` show it. */
export interface CapacitySummary {
  backend: string;
  /** The pool server (absent: the backend has one server). */
  server?: string;
  /** Requests let through at once, and where that came from ("set", "server: llama-server GET /props", "default for mlx-lm"). */
  maxInFlight: number;
  source: string;
  /** Requests that may wait past it, and where that came from. */
  maxWaiting: number;
  waitingSource: string;
  /** Its queue now. */
  inFlight: number;
  waiting: number;
}

/**
 * Pure read of each queue's capacity and load now: the numbers /metrics shows. `backends`: only
 * those (the backends a request can reach, reachableBackends), where given.
 */
export function summarizeCapacity(
  capacities: BackendCapacities | undefined,
  queues: BackendQueues | undefined,
  backends?: ReadonlySet<string>,
): CapacitySummary[] {
  const shown = (capacities?.all() ?? []).filter((capacity) => backends === undefined || backends.has(capacity.backend));
  return shown.map(({ backend, server, queue, maxInFlight, source, maxWaiting, waitingSource }) => ({
    backend,
    ...(server === undefined ? {} : { server }),
    maxInFlight,
    source,
    maxWaiting,
    waitingSource,
    ...(queues?.stats(queue) ?? { inFlight: 0, waiting: 0 }),
  }));
}
