import type { BackendPools } from "../../backends/pool/backend-pool.js";
import type { BreakerState } from "../../backends/circuit-breaker.js";
import type { BackendQueues } from "../../backends/backend-queue.js";
import { poolQueueName } from "../../backends/pool/pool-queue-name.js";

/** One server of a pool as the dashboard shows it. */
export interface PoolServerSummary {
  url: string;
  /** Its breaker: closed (takes requests), open (cooling down after failing), half-open (one request tries it). */
  state: BreakerState;
  /** While open: whole seconds until its cool-down ends and one request may probe it. */
  coolDownLeftS?: number;
  /** Requests the pool counts on it: in flight and waiting for its queue. */
  requests: number;
  /** Of those, the ones its queue lets through now… */
  inFlight: number;
  /** …and the ones waiting in its queue (its depth). */
  waiting: number;
  /** Sessions placed on it (they stay while it is healthy and not clearly busier). */
  sessions: number;
}

/** A backend with several servers (`urls:`, or --backend-url given more than once). */
export interface PoolSummary {
  backend: string;
  servers: PoolServerSummary[];
}

/** Pure read of the pools and their servers' queues now: the same numbers /metrics shows. */
export function summarizePools(pools: BackendPools | undefined, queues: BackendQueues | undefined): PoolSummary[] {
  return (pools?.all() ?? []).map((pool) => ({
    backend: pool.backend,
    servers: pool.stats().map((server) => {
      const queue = queues?.stats(poolQueueName(pool.backend, server.url)) ?? { inFlight: 0, waiting: 0 };
      // Whole seconds: the poll sends the pools when they change, and a count in ms would change on every poll.
      const coolDown = server.coolDownLeftMs === undefined ? {} : { coolDownLeftS: Math.ceil(server.coolDownLeftMs / 1000) };
      return {
        url: server.url,
        state: server.state,
        ...coolDown,
        requests: server.load,
        inFlight: queue.inFlight,
        waiting: queue.waiting,
        sessions: server.sessions,
      };
    }),
  }));
}
