import type { ValidateFunction } from "../../generated/validate-messages.mjs";
import type { BackendPools } from "../backends/pool/backend-pool.js";
import type { CircuitBreakers } from "../backends/circuit-breaker.js";
import type { ExoInstances } from "../backends/exo/exo-instances.js";
import type { RuntimeBackend } from "../backends/resolve-backends.js";
import type { UpstreamClient } from "../backends/upstream-client.js";
import type { CompiledProfile, RoutingTable } from "../compile/routing-table.js";
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
import type { RequestWatch, WatchInit } from "../observe/request-watch.js";
import type { StablePrefixes } from "../observe/stable-prefixes.js";
import type { SupervisorPool } from "../backends/supervisor-pool.js";
import type { TtftState } from "../observe/learn-from-request.js";
import type { ToolSchemaCache } from "../tools/check-tool-call.js";
import type { PrefixCache } from "../trim/prefix-cache.js";
import type { LearnedOwnLines } from "../trim/claude-code/own-lines.js";
import type { TranslateDeps } from "../translate/translate-options.js";

/**
 * Everything a request handler may use of the server: built once per server (start-proxy.ts, which
 * freezes it), never module-level, and nothing of one request (that is its RequestScope,
 * request-scope.ts). The one thing that changes while the server runs is the table, refitted to
 * what each model server reports: `table` reads it from its holder (learn-server-facts.ts'
 * LiveTable), and a request takes it as it is when the request arrives.
 */
export interface ServerContext {
  readonly table: RoutingTable;
  readonly rules: RouterRules;
  readonly backends: Record<string, RuntimeBackend>;
  readonly sessions: SessionStore;
  /** Where each session's user turns went (classifier.mode model): a tool round trip goes there too, with no second classifier call. */
  readonly classifierCache: ClassifierCache;
  /** Learned prefill rates and each session's last prompt, for escalation on predicted time to first token (absent: no prediction). */
  readonly ttft?: TtftState;
  /** The local servers mallex starts itself (absent: none is supervised). */
  readonly supervisors?: SupervisorPool;
  /** The config's precompiled templates (system prompts, tool list). */
  readonly templates: Templates;
  /** Compiled tool input schemas, shared by every response of this server (compiling one costs milliseconds). */
  readonly schemaCache: ToolSchemaCache;
  /** Trimmed system prompts and shaped tools by content: trimmed once per distinct prefix, not per request. */
  readonly prefixCache: PrefixCache;
  /**
   * Claude Code's own lines learned from releases the built-in ones do not cover, by version: read
   * from MALLEX_HOME at the start, added to when `mallex run` learns the release it launches (a
   * request reads it as it is when it arrives). Absent: the built-in lines for every release.
   */
  readonly learnedOwnLines?: LearnedOwnLines;
  readonly validateMessages: ValidateFunction;
  /** Keeps known secrets (backend keys, the token, credential-like env values) out of what an upstream error hands the client. */
  readonly redact: Redactor;
  /** What each local backend's server said about itself: its context and how many requests it runs at once (absent: nothing is read). */
  readonly serverFacts?: ServerFactsStore;
  /** Each local backend's queue limits and where they come from (backend-capacity.ts); absent: no queue. */
  readonly capacities?: BackendCapacities;
  /** The bounded queue in front of each local backend (absent: requests go straight through). */
  readonly queues?: BackendQueues;
  /** Each backend's circuit breaker (absent: none, every backend is always tried). */
  readonly breakers?: CircuitBreakers;
  /** The backends with several servers: session affinity, load and health per server (absent: none is pooled). */
  readonly pools?: BackendPools;
  /** Which models are placed on each exo backend's cluster, and the placements under way (absent: none is placed, requests go straight through). */
  readonly exoInstances?: ExoInstances;
  /** Local token clients must present (x-api-key or Bearer); absent: no check. */
  readonly authToken?: string;
  /** How often to send `ping` while the backend is silent (prefilling). */
  readonly pingIntervalMs: number;
  /** Longest a backend may stay silent before the request fails (a backend's own timeout_s wins). */
  readonly requestTimeoutMs: number;
  /** Longest one answer may take in all (server.answer_timeout_s). */
  readonly answerTimeoutMs: number;
  /** Each profile's stable prompt prefix (system prompt and tools), kept for the servers that start later; absent: none kept. */
  readonly stablePrefixes?: StablePrefixes;
  /**
   * The warm-up under way on the server at this base URL, if any (warm-prompt-cache.ts): a request
   * for it waits, and its prompt then starts from the prefix restored or prefilled (absent: none warms).
   */
  readonly warmingUp?: (baseUrl: string) => Promise<void> | undefined;
  /**
   * Gives the server's slot the profile's stable prefix back (warm-prompt-cache.ts: its saved file
   * read back, or prefilled and saved where none was yet), in the background: after a prompt that was
   * no session's took it (a question sent alone, a compaction mallex rewrote; `after` names it for the
   * log), the next session's request finds the prefix again. Only where slots are saved (llama-server,
   * the engine); absent: nothing does.
   */
  readonly restorePrefix?: (profile: CompiledProfile, baseUrl: string, after: string) => void;
  /**
   * Told after each call a server mallex started answered: whose session its slot holds now (a prompt
   * that opened with that profile's stable prefix), or undefined (any other prompt). What a server with
   * one slot keeps when it stops (keep-last-conversation.ts); absent: nothing is kept.
   */
  readonly slotHolds?: (baseUrl: string, session: CompiledProfile | undefined) => void;
  /** The HTTP client backend calls go through, with timeouts mallex sets (not Node's 5 min defaults). */
  readonly upstream: UpstreamClient;
  /** GET /metrics' counters and histograms, fed once per /v1/messages request as it ends. */
  readonly metrics: MetricsRegistry;
  /** Builds each /v1/messages request's watch (MALLEX_DEBUG, the saved last request); absent: neither is on, nothing is watched. */
  readonly watchRequest?: (init: WatchInit) => RequestWatch;
  /** Told a body's length once it is parsed ("now") and once its request has ended: a large one's garbage is collected then (collect-after-large-body.ts). */
  readonly collectAfter?: (bodyChars: number, when?: "now" | "after this turn") => void;
  /** Warns once per Claude Code release newer than the checked ones whose request matched no rule (absent: no alarm). */
  readonly claudeCodeDrift?: ClaudeCodeDriftAlarm;
  /** The live dashboard at /ui: recent requests and model servers (absent: /ui answers 404). */
  readonly dashboard?: Dashboard;
  /**
   * Told the Claude Code session (x-claude-code-session-id) of each /v1/messages request, for
   * `mallex run` to say how to go on with the conversation through mallex (absent: nobody asks).
   */
  readonly onSession?: (sessionId: string) => void;
  /** One line per request and per notable event. */
  readonly log: (line: string) => void;
  /** RFC 3339 time the server loaded its routing table: the `created_at` of the models it lists. */
  readonly loadedAt: string;
  /** `requestId`: the `request-id` of each response mallex answers itself. */
  readonly deps: TranslateDeps & { now(): number; requestId(): string };
}
