import type { ServerSupervisor, SupervisorEvent, SupervisorState } from "../../supervisor/types.js";

/** One supervised model server as the dashboard and `mallex status` show it. */
export interface ServerSummary {
  key: string;
  model: string;
  state: SupervisorState;
  pid?: number;
  port?: number;
  /** RFC 3339 time it entered this state (as far as mallex saw it change). */
  since: string;
  /** Restarts after a crash, a wedge or running out of memory, since mallex started. */
  restarts: number;
  /** Load or download progress while starting, in the server's words. */
  progress?: string;
  percent?: number;
  /** The last thing that went wrong, in words (out of memory included). */
  lastError?: string;
  /** Unloads after this long without a request (0: never). */
  idleUnloadMs: number;
  /** RFC 3339 time its last request ended: with idleUnloadMs, when it will be unloaded. */
  lastUsed?: string;
}

/** What the server events told about one server beyond its state. */
export interface ServerHistory {
  since: string;
  seenState?: SupervisorState;
  restarts: number;
  progress?: string;
  percent?: number;
  lastError?: string;
  lastUsed?: string;
}

/** Pure: the history after one supervisor event. */
export function applyServerEvent(history: ServerHistory, event: SupervisorEvent): ServerHistory {
  const next: ServerHistory = { ...history };
  switch (event.type) {
    case "installing":
      next.progress = event.message;
      break;
    case "progress":
      next.progress = event.message;
      if (event.percent !== undefined) next.percent = event.percent;
      break;
    case "starting":
      next.progress = `starting on port ${event.port}`;
      delete next.percent;
      break;
    case "ready":
    case "unloaded":
    case "stopped":
      delete next.progress;
      delete next.percent;
      break;
    case "out-of-memory":
      next.lastError = `ran out of memory: ${event.message}`;
      break;
    case "crashed":
      next.lastError = `exited unexpectedly (${event.signal ?? `code ${event.code}`}): ${event.message}`;
      break;
    case "wedged":
      next.lastError = `stopped producing tokens: ${event.message}`;
      break;
    case "failed":
      next.lastError = `gave up: ${event.message}`;
      break;
    case "restarting":
      next.restarts += 1;
      break;
  }
  return next;
}

/** Pure: the summary of a supervisor as it is now. */
export function summarizeServer(supervisor: ServerSupervisor, history: ServerHistory): ServerSummary {
  const port = supervisor.baseUrl === undefined ? undefined : Number(new URL(supervisor.baseUrl).port) || undefined;
  return {
    key: supervisor.spec.key,
    model: supervisor.spec.model,
    state: supervisor.state,
    ...(supervisor.pid === undefined ? {} : { pid: supervisor.pid }),
    ...(port === undefined ? {} : { port }),
    since: history.since,
    restarts: history.restarts,
    ...(history.progress === undefined || supervisor.state !== "starting" ? {} : { progress: history.progress }),
    ...(history.percent === undefined || supervisor.state !== "starting" ? {} : { percent: history.percent }),
    ...(history.lastError === undefined ? {} : { lastError: history.lastError }),
    idleUnloadMs: supervisor.spec.idleUnloadMs,
    ...(history.lastUsed === undefined ? {} : { lastUsed: history.lastUsed }),
  };
}
