import type { ServerSupervisor } from "../types.js";

/** One guarded server as the memory budget follows it: its use, for the LRU order, and whether it holds room. */
export interface BudgetEntry {
  key: string;
  supervisor: ServerSupervisor;
  /** Requests in flight. */
  inFlight: number;
  /** Callers that got the URL and are about to begin a request (see the budget's ensureReady). */
  claims: Array<{ done: boolean }>;
  /** Callers inside ensureReady. */
  entering: number;
  lastUsed: number;
  /** Admitted to start: its room is held until its start settles. */
  admitted: boolean;
}

/** Requests in flight, about to begin, or waiting for the server inside ensureReady. */
export function busyCount(entry: BudgetEntry): number {
  return entry.inFlight + entry.claims.length + entry.entering;
}

/** Holds memory: admitted to start, or a process that is starting, ready or stopping. */
export function holdsMemory(entry: BudgetEntry): boolean {
  return entry.admitted || entry.supervisor.state === "starting" || entry.supervisor.state === "ready" || entry.supervisor.state === "stopping";
}

export function isRunning(entry: BudgetEntry): boolean {
  return entry.supervisor.state === "starting" || entry.supervisor.state === "ready";
}

/** Ready with nothing in flight: may be stopped to make room. A starting server has a caller waiting. */
export function isIdle(entry: BudgetEntry): boolean {
  return entry.supervisor.state === "ready" && busyCount(entry) === 0 && !entry.admitted;
}

/** What a server that others wait for is doing, for the wait's message. */
export function describeActivity(entry: BudgetEntry): string {
  if (entry.supervisor.state === "stopping") return "stopping";
  if (entry.supervisor.state === "starting" || entry.admitted) return "starting";
  if (entry.inFlight === 0) return "about to begin a request";
  return `${entry.inFlight} request${entry.inFlight === 1 ? "" : "s"} in flight`;
}
