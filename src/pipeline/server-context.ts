import type { ValidateFunction } from "../../generated/validate-messages.mjs";
import type { BackendPools } from "../backends/backend-pool.js";
import type { CircuitBreakers } from "../backends/circuit-breaker.js";
import type { ExoInstances } from "../backends/exo-instances.js";
import type { RuntimeBackend } from "../backends/resolve-backends.js";
import type { UpstreamClient } from "../backends/upstream-client.js";
import type { RoutingTable } from "../compile/routing-table.js";
import type { ClassifierCache } from "../router/classifier-cache.js";
import type { RouterRules } from "../router/compile-rules.js";
import type { SessionStore } from "../router/session-store.js";
import type { Templates } from "../templates/load-templates.js";
import type { BackendCapacities } from "../observe/backend-capacities.js";
import type { BackendQueues } from "../backends/backend-queue.js";
import type { ServerFactsStore } from "../backends/server-facts-store.js";
import type { Redactor } from "../observe/redact-secrets.js";
import type { ClaudeCodeDriftAlarm } from "../observe/claude-code-drift.js";
import type { Dashboard } from "../observe/dashboard/dashboard-context.js";
import type { MetricsRegistry } from "../observe/metrics.js";
import type { RequestTrace } from "../observe/request-metrics.js";
import type { RequestWatch, WatchInit } from "../observe/request-watch.js";
import type { SupervisorPool } from "../backends/supervisor-pool.js";
import type { TtftState } from "../observe/learn-from-request.js";
import type { ToolSchemaCache } from "../tools/check-tool-call.js";
import type { PrefixCache } from "../trim/prefix-cache.js";
import type { TranslateDeps } from "../translate/translate-options.js";

/** Everything a request handler may use; built once per server, never module-level. */
export interface ServerContext {
  table: RoutingTable;
  rules: RouterRules;
  backends: Record<string, RuntimeBackend>;
  sessions: SessionStore;
  /** Where each session's user turns went (classifier.mode model): a tool round trip goes there too, with no second classifier call. */
  classifierCache: ClassifierCache;
  /** Learned prefill rates and each session's last prompt, for escalation on predicted time to first token (absent: no prediction). */
  ttft?: TtftState;
  /** The local servers mallex starts itself (absent: none is supervised). */
  supervisors?: SupervisorPool;
  /** The config's precompiled templates (system prompts, tool list). */
  templates: Templates;
  /** Compiled tool input schemas, shared by every response of this server (compiling one costs milliseconds). */
  schemaCache: ToolSchemaCache;
  /** Trimmed system prompts and shaped tools by content: trimmed once per distinct prefix, not per request. */
  prefixCache: PrefixCache;
  validateMessages: ValidateFunction;
  /** Keeps known secrets (backend keys, the token, credential-like env values) out of what an upstream error hands the client; absent: each backend's own key and headers only. */
  redact?: Redactor;
  /** What each local backend's server said about itself: its context and how many requests it runs at once (absent: nothing is read). */
  serverFacts?: ServerFactsStore;
  /** Each local backend's queue limits and where they come from (backend-capacity.ts); absent: no queue. */
  capacities?: BackendCapacities;
  /** The bounded queue in front of each local backend (absent: requests go straight through). */
  queues?: BackendQueues;
  /** Each backend's circuit breaker (absent: none, every backend is always tried). */
  breakers?: CircuitBreakers;
  /** The backends with several servers: session affinity, load and health per server (absent: none is pooled). */
  pools?: BackendPools;
  /** Which models are placed on each exo backend's cluster, and the placements under way (absent: none is placed, requests go straight through). */
  exoInstances?: ExoInstances;
  /** Local token clients must present (x-api-key or Bearer); absent: no check. */
  authToken?: string;
  /** How often to send `ping` while the backend is silent (prefilling). */
  pingIntervalMs: number;
  /** Longest a backend may stay silent before the request fails (a backend's own timeout_s wins). */
  requestTimeoutMs: number;
  /** Longest one answer may take in all (server.answer_timeout_s). */
  answerTimeoutMs: number;
  /** The HTTP client backend calls go through, with timeouts mallex sets (not Node's 5 min defaults). */
  upstream: UpstreamClient;
  /** GET /metrics' counters and histograms, fed once per /v1/messages request as it ends. */
  metrics: MetricsRegistry;
  /** Set in the copy a /v1/messages request gets: the route it took and its numbers, for the metrics and x-mallex-route. */
  trace?: RequestTrace;
  /** Builds each /v1/messages request's watch (MALLEX_DEBUG, the saved last request); absent: neither is on, nothing is watched. */
  watchRequest?: (init: WatchInit) => RequestWatch;
  /** Told a body's length once it is parsed ("now") and once its request has ended: a large one's garbage is collected then (collect-after-large-body.ts). */
  collectAfter?: (bodyChars: number, when?: "now" | "after this turn") => void;
  /** Set in the copy a /v1/messages request gets when watchRequest is: messages.ts tells it the trimming. */
  watch?: RequestWatch;
  /** Warns once per Claude Code release newer than the checked ones whose request matched no rule (absent: no alarm). */
  claudeCodeDrift?: ClaudeCodeDriftAlarm;
  /** The live dashboard at /ui: recent requests and model servers (absent: /ui answers 404). */
  dashboard?: Dashboard;
  /** One line per request and per notable event. */
  log: (line: string) => void;
  /** Set in the copy each request gets (forRequest): its id, which that copy's log lines end with. */
  requestId?: string;
  /** RFC 3339 time the server loaded its routing table: the `created_at` of the models it lists. */
  loadedAt: string;
  /** `requestId`: the `request-id` of each response mallex answers itself. */
  deps: TranslateDeps & { now(): number; requestId(): string };
}

/**
 * The context one request is handled with: the server's, plus the request's id, which ends every
 * line it logs (the same id as the `request-id` header and an error body's `request_id`).
 */
export function forRequest(ctx: ServerContext, requestId: string): ServerContext {
  return { ...ctx, requestId, log: (line) => ctx.log(`${line} · ${requestId}`) };
}
