import { backendCapacity, type BackendCapacity } from "../backends/backend-capacity.js";
import type { BackendPools } from "../backends/pool/backend-pool.js";
import type { RuntimeBackend } from "../backends/resolve-backends.js";
import type { ServerFacts } from "../backends/server-facts.js";
import type { RoutingTable } from "../compile/routing-table.js";
import { poolQueueName } from "../backends/pool/pool-queue-name.js";

/** One queue's capacity as doctor, status, /metrics and the dashboard show it. */
export interface QueueCapacity extends BackendCapacity {
  backend: string;
  /** The pool server the queue is in front of (absent: the backend has one server). */
  server?: string;
  /** The queue's name (backend-queue.ts): the backend's, or poolQueueName's for a pool server. */
  queue: string;
}

export interface BackendCapacities {
  /** The limits of the queue named `queue`, read now (facts can arrive later, and change on a restart). */
  limitsFor(queue: string): BackendCapacity;
  /** Every local backend's queue (each pool server's) now. */
  all(): QueueCapacity[];
}

export interface CapacitySources {
  table: RoutingTable;
  backends: Readonly<Record<string, RuntimeBackend>>;
  pools?: BackendPools | undefined;
  /** The server facts store, read at each call: it may be set after the queues are made. */
  serverFacts(): { get(backend: string): ServerFacts | undefined } | undefined;
}

/**
 * The capacities of the proxy's queues: a backend's own, or for a pool each server's — its own
 * facts where the store keeps them under the queue's name, else the backend's.
 */
export function createBackendCapacities(sources: CapacitySources): BackendCapacities {
  const { table, backends, pools } = sources;
  const set = { maxInFlight: table.server.maxInFlightPerBackend, maxWaiting: table.server.maxWaitingPerBackend };
  const capacityOf = (backend: string, queue: string): BackendCapacity => {
    const facts = sources.serverFacts();
    return backendCapacity({
      flavor: backends[backend]?.flavor ?? table.backends[backend]?.flavor ?? "generic",
      set,
      facts: facts?.get(queue) ?? facts?.get(backend),
      profiles: Object.values(table.profiles).filter((profile) => profile.backend === backend),
    });
  };
  const queues: Array<{ backend: string; server?: string; queue: string }> = Object.values(backends)
    .filter((backend) => backend.kind === "openai")
    .flatMap((backend) => {
      const pool = pools?.for(backend.name);
      return pool === undefined
        ? [{ backend: backend.name, queue: backend.name }]
        : pool.urls.map((server) => ({ backend: backend.name, server, queue: poolQueueName(backend.name, server) }));
    });
  const poolServers = new Map(queues.filter((entry) => entry.server !== undefined).map((entry) => [entry.queue, entry.backend]));
  return {
    // A pool server's queue, else a backend's own (mallex's own calls, the classifier's, use the backend's name).
    limitsFor: (queue) => capacityOf(poolServers.get(queue) ?? queue, queue),
    all: () => queues.map((entry) => ({ ...entry, ...capacityOf(entry.backend, entry.queue) })),
  };
}
