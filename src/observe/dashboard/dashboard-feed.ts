import type { RoutingTable } from "../../compile/routing-table.js";
import type { SupervisorEvent, SupervisorState } from "../../supervisor/types.js";
import type { ClaudeCodeDrift } from "../claude-code-drift.js";
import type { LastRequestFiles } from "../format-last-request.js";
import type { RequestEnd, RequestTrace } from "../request-record.js";
import type { SupervisorPool } from "../../backends/supervisor-pool.js";
import { RETENTION_LIMITS } from "../../shared/retention-limits.js";
import { summarizeMemory, type MemorySummary } from "./memory-summary.js";
import type { CapacitySummary } from "./capacity-summary.js";
import type { ContextSummary } from "./context-summary.js";
import type { PoolSummary } from "./pool-summary.js";
import { applyServerEvent, summarizeServer, type ServerHistory, type ServerSummary } from "./server-summary.js";
import { summarizeRequest, type RequestSummary } from "./summarize-request.js";
import type { EvalView } from "./eval-view.js";
import { summarizeInFlight, type InFlightSummary } from "./in-flight-summary.js";
import type { PrefillProgress } from "../read-prefill-progress.js";

/** What /ui/events sends: the whole picture first, then each change. */
export type DashboardMessage =
  /** claudeCodeDrift: the latest Claude Code release newer than the checked ones whose request matched no rule (see claude-code-drift.ts). */
  /** capacity: each local backend's queue limits and their sources (absent: a mallex from before they were read). */
  /** supervises: whether this mallex starts model servers at all (not with --backend-url, nor for a config of running servers only); absent from a mallex before it: yes. */
  /** contexts: each reachable local profile's window and prompt budget in effect, and where the window comes from (absent: a mallex from before they were shown). */
  /** eval: the `mallex eval` run this proxy serves, when it is one's (absent: none). */
  | {
      type: "snapshot";
      requests: RequestSummary[];
      servers: ServerSummary[];
      pools: PoolSummary[];
      memory?: MemorySummary;
      claudeCodeDrift?: ClaudeCodeDrift;
      capacity?: CapacitySummary[];
      contexts?: ContextSummary[];
      supervises?: boolean;
      eval?: EvalView;
      /** The requests under way (absent: a mallex from before they were shown). */
      inFlight?: InFlightSummary[];
    }
  /** The eval run moved on: a task began, a turn, a verdict, its end. */
  | { type: "eval"; eval: EvalView }
  | { type: "request"; request: RequestSummary }
  /** A request began, moved on (its server's prefill progress) or ended: every request under way. */
  | { type: "inFlight"; inFlight: InFlightSummary[] }
  /** memory: the budget the servers share, when there is one (it changes as they start, stop and are measured). */
  | { type: "servers"; servers: ServerSummary[]; memory?: MemorySummary; claudeCodeDrift?: ClaudeCodeDrift }
  | { type: "pools"; pools: PoolSummary[] }
  /** The queues' load moves with every request, and a server's facts (its capacity, its context) arrive once it has started. */
  | { type: "capacity"; capacity: CapacitySummary[]; contexts: ContextSummary[] };

/** The state a supervisor event puts its server in (the others leave it where it is). */
const STATE_AFTER: Partial<Record<SupervisorEvent["type"], SupervisorState>> = {
  starting: "starting",
  ready: "ready",
  unloaded: "stopped",
  stopped: "stopped",
  failed: "failed",
};

export interface DashboardFeedOptions {
  table: RoutingTable;
  supervisors?: SupervisorPool;
  /** The backend pools' servers now (summarizePools); absent: no pool. */
  pools?: () => PoolSummary[];
  /** Each local backend's queue limits and load now (summarizeCapacity); absent: no queue. */
  capacity?: () => CapacitySummary[];
  /** Each reachable local profile's context now (summarizeContexts over the table in effect, which changes as servers are read); absent: not shown. */
  contexts?: () => ContextSummary[];
  /** The drift alarm's latest warning (ServerContext.claudeCodeDrift); absent: none. */
  claudeCodeDrift?: () => ClaudeCodeDrift | undefined;
  /** Recent requests kept (their summaries), and of those the explanations kept, at most maxExplanationBytes of them together. */
  maxRequests: number;
  maxExplanations: number;
  /** Default RETENTION_LIMITS.explanationBytes. */
  maxExplanationBytes?: number;
  /** At most this many live /ui/events clients. */
  maxClients: number;
  /** The clock a request's trace is timed with (ServerContext.deps.now; performance.now by default). */
  now?: () => number;
  /** How often server and pool states are read while a client listens (a state change has no event of its own). */
  pollMs: number;
  date(): Date;
}

/**
 * The recent requests and model servers, for /ui/events and `mallex status`: a bounded ring of
 * request summaries (built off the request's path, after it ended) and each server's history.
 * Created with the server context; nothing here is module-level.
 */
export interface DashboardFeed {
  /** A /v1/messages request arrived: it is shown under way until it ends. */
  requestStarted(id: string, trace: RequestTrace): void;
  /** Its model server reported how far it is through the prompt. */
  requestProgress(id: string, progress: PrefillProgress): void;
  /** A /v1/messages request ended: summarized on the next turn of the event loop, not on its path. */
  requestEnded(id: string, trace: RequestTrace, end: RequestEnd): void;
  /** Its explanation (the saved-last-request files, redacted), built only if asked for; `bytes`: about how much memory it keeps. */
  keepExplanation(id: string, files: () => LastRequestFiles, bytes: number): void;
  explanation(id: string): LastRequestFiles | undefined;
  /** A supervisor event (from the CLI, which creates the supervisors). */
  serverEvent(key: string, event: SupervisorEvent): void;
  snapshot(): Extract<DashboardMessage, { type: "snapshot" }>;
  /** `mallex eval`'s run, as it goes (the eval masks what the dashboard may not show); the latest is kept for the next snapshot. */
  showEval(view: EvalView): void;
  /** The eval run this proxy serves, if any. */
  evalView(): EvalView | undefined;
  /**
   * The way to stop listening. When maxClients already listen, the oldest that can be let go (it
   * gave `evict`) is told so and dropped: every client here presented the one mallex token (or
   * none is needed), so the newest page is the user's, not the one that came first and squats.
   * Undefined only when none of them can be let go.
   */
  subscribe(listener: (message: DashboardMessage) => void, evict?: () => void): (() => void) | undefined;
}

export function createDashboardFeed(options: DashboardFeedOptions): DashboardFeed {
  const requests: RequestSummary[] = [];
  const explanations = new Map<string, { files: () => LastRequestFiles; bytes: number }>();
  let explanationBytes = 0;
  const maxExplanationBytes = options.maxExplanationBytes ?? RETENTION_LIMITS.explanationBytes;
  const histories = new Map<string, ServerHistory>();
  // In the order they came: the first is the oldest. Each with how to let it go, when it can be.
  const listeners = new Map<(message: DashboardMessage) => void, (() => void) | undefined>();
  let poll: ReturnType<typeof setInterval> | undefined;
  let evalView: EvalView | undefined;
  // Bounded by the requests the server takes at once: each leaves at its end (observeMessages ends every request once).
  const underWay = new Map<string, { trace: RequestTrace; prefill?: PrefillProgress }>();
  const inFlight = (): InFlightSummary[] => {
    const now = options.now?.() ?? performance.now();
    const date = options.date();
    return [...underWay].map(([id, request]) =>
      summarizeInFlight({ id, trace: request.trace, ...(request.prefill ? { prefill: request.prefill } : {}), now, date }),
    );
  };
  const inFlightChanged = () => {
    if (listeners.size > 0) broadcast({ type: "inFlight", inFlight: inFlight() });
  };

  const historyOf = (key: string): ServerHistory => {
    let history = histories.get(key);
    if (history === undefined) histories.set(key, (history = { since: options.date().toISOString(), restarts: 0 }));
    return history;
  };
  const servers = (): ServerSummary[] =>
    (options.supervisors?.all() ?? []).map((supervisor) => {
      let history = historyOf(supervisor.spec.key);
      if (history.seenState !== supervisor.state) {
        history = { ...history, seenState: supervisor.state, since: options.date().toISOString() };
        histories.set(supervisor.spec.key, history);
      }
      return summarizeServer(supervisor, history);
    });
  const broadcast = (message: DashboardMessage) => {
    for (const listener of [...listeners.keys()]) listener(message);
  };
  const serversAndMemory = () => {
    const memory = summarizeMemory(options.supervisors);
    // Read with the servers: a drift seen while someone listens reaches them on the next poll.
    const drift = options.claudeCodeDrift?.();
    return { servers: servers(), ...(memory ? { memory } : {}), ...(drift ? { claudeCodeDrift: drift } : {}) };
  };
  const serverChanges = watchChanges(serversAndMemory, (now) => broadcast({ type: "servers", ...now }));
  const pools = (): PoolSummary[] => options.pools?.() ?? [];
  // A breaker opening, a queue growing or a cool-down ending (which is only the clock) have no event: read on each poll.
  const poolChanges = watchChanges(pools, (now) => broadcast({ type: "pools", pools: now }));
  const capacityAndContexts = () => ({ capacity: options.capacity?.() ?? [], contexts: options.contexts?.() ?? [] });
  const capacityChanges = watchChanges(capacityAndContexts, (now) => broadcast({ type: "capacity", ...now }));
  const pollOnce = () => {
    serverChanges.send();
    poolChanges.send();
    capacityChanges.send();
  };

  return {
    requestStarted(id, trace) {
      underWay.set(id, { trace });
      inFlightChanged();
    },
    requestProgress(id, progress) {
      const request = underWay.get(id);
      if (request === undefined) return;
      request.prefill = progress;
      inFlightChanged();
    },
    requestEnded(id, trace, end) {
      if (underWay.delete(id)) inFlightChanged();
      setImmediate(() => {
        const at = options.date().toISOString();
        const summary = summarizeRequest({ id, at, trace, end, table: options.table });
        requests.push(summary);
        if (requests.length > options.maxRequests) requests.splice(0, requests.length - options.maxRequests);
        const profile = trace.route?.profile;
        if (profile !== undefined && options.supervisors?.backends.has(profile.backend)) {
          const key = options.supervisors.for(profile).spec.key;
          histories.set(key, { ...historyOf(key), lastUsed: at });
        }
        broadcast({ type: "request", request: summary });
      });
    },
    keepExplanation(id, files, bytes) {
      const before = explanations.get(id);
      if (before !== undefined) explanationBytes -= before.bytes;
      explanations.delete(id);
      // One too large for the whole budget is not kept at all (its summary still is).
      if (bytes > maxExplanationBytes) return;
      explanations.set(id, { files, bytes });
      explanationBytes += bytes;
      // Oldest out, until both the count and the bytes fit.
      for (const [oldest, kept] of explanations) {
        if (explanations.size <= options.maxExplanations && explanationBytes <= maxExplanationBytes) break;
        explanations.delete(oldest);
        explanationBytes -= kept.bytes;
      }
    },
    explanation: (id) => explanations.get(id)?.files(),
    serverEvent(key, event) {
      const history = applyServerEvent(historyOf(key), event);
      // The time a state began, from the event that began it (the poll sees a change only while someone listens).
      const state = STATE_AFTER[event.type];
      histories.set(key, state === undefined ? history : { ...history, seenState: state, since: options.date().toISOString() });
      if (listeners.size > 0) serverChanges.send();
    },
    snapshot: () => ({
      type: "snapshot",
      requests: [...requests],
      ...serversAndMemory(),
      pools: pools(),
      ...(options.capacity ? { capacity: options.capacity() } : {}),
      ...(options.contexts ? { contexts: options.contexts() } : {}),
      supervises: (options.supervisors?.backends.size ?? 0) > 0,
      ...(evalView !== undefined ? { eval: evalView } : {}),
      inFlight: inFlight(),
    }),
    showEval(view) {
      evalView = view;
      broadcast({ type: "eval", eval: view });
    },
    evalView: () => evalView,
    subscribe(listener, evict) {
      while (listeners.size >= options.maxClients) {
        const oldest = [...listeners].find(([, canEvict]) => canEvict !== undefined);
        if (oldest === undefined) return undefined;
        listeners.delete(oldest[0]);
        oldest[1]!();
      }
      listeners.set(listener, evict);
      if (poll === undefined) {
        serverChanges.reset();
        poolChanges.reset();
        capacityChanges.reset();
        poll = setInterval(pollOnce, options.pollMs);
        poll.unref();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && poll !== undefined) {
          clearInterval(poll);
          poll = undefined;
        }
      };
    },
  };
}

/** `send` is told what `read` gives when it differs from what it was told last (or from the state at `reset`). */
function watchChanges<T>(read: () => T, send: (now: T) => void): { send(): void; reset(): void } {
  let last = "";
  return {
    send() {
      const now = read();
      const text = JSON.stringify(now);
      if (text === last) return;
      last = text;
      send(now);
    },
    reset() {
      last = JSON.stringify(read());
    },
  };
}
