import type { BackendPools } from "../backends/pool/backend-pool.js";
import type { RuntimeBackend } from "../backends/resolve-backends.js";
import type { BreakerState, CircuitBreakers } from "../backends/circuit-breaker.js";
import type { RoutingTable } from "../compile/routing-table.js";
import { rateOf } from "../router/predict-ttft.js";
import type { SupervisorState } from "../supervisor/types.js";
import type { BackendCapacities } from "./backend-capacities.js";
import type { BackendQueues } from "../backends/backend-queue.js";
import { createMetricsRegistry, type MetricDefinition, type MetricsRegistry } from "./metrics.js";
import { poolQueueName } from "../backends/pool/pool-queue-name.js";
import type { SupervisorPool } from "../backends/supervisor-pool.js";
import type { TtftRates } from "./ttft-rates.js";

const ROUTE = ["tier", "profile", "backend"] as const;
const STATES: readonly SupervisorState[] = ["stopped", "starting", "ready", "stopping", "failed"];

/** Every metric mallex exposes on GET /metrics. */
export const MALLEX_METRICS: readonly MetricDefinition[] = [
  {
    name: "mallex_requests_total",
    help: "POST /v1/messages requests, counted once when each ends (tier none: refused before routing).",
    type: "counter",
    labels: [...ROUTE, "status", "outcome"],
  },
  {
    name: "mallex_request_errors_total",
    help: "Requests that ended in an error: an error status or an error event in the stream.",
    type: "counter",
    labels: [...ROUTE, "status"],
  },
  { name: "mallex_request_duration_seconds", help: "From the request's arrival to its last byte.", type: "histogram", labels: ROUTE },
  {
    name: "mallex_queue_wait_seconds",
    help: "How long each local request waited for its turn in its backend's queue (as many as its capacity are served at once: mallex_backend_capacity).",
    type: "histogram",
    labels: ROUTE,
  },
  {
    name: "mallex_model_load_wait_seconds",
    help: "How long each local request then waited for its model server to be ready (started by mallex, its model loaded or placed).",
    type: "histogram",
    labels: ROUTE,
  },
  {
    name: "mallex_time_to_first_token_seconds",
    help: "From the request's arrival to the first token of a streamed local answer.",
    type: "histogram",
    labels: ROUTE,
  },
  { name: "mallex_prompt_tokens_total", help: "Prompt tokens the local backend read, cached ones included.", type: "counter", labels: ROUTE },
  { name: "mallex_cached_tokens_total", help: "Prompt tokens the local backend served from its prefix cache.", type: "counter", labels: ROUTE },
  { name: "mallex_output_tokens_total", help: "Tokens the local backend generated.", type: "counter", labels: ROUTE },
  { name: "mallex_trimmed_chars_total", help: "Characters trimming removed from requests before the local backend saw them.", type: "counter", labels: ROUTE },
  {
    name: "mallex_tool_calls_total",
    help: "Tool calls local models wrote, by what became of them: ran as written, repaired (JSON fixed, tool name mapped, arguments converted to the schema's types) or rejected (shown as a note, not run).",
    type: "counter",
    labels: [...ROUTE, "outcome"],
  },
  {
    name: "mallex_forced_call_retries_total",
    help: "Corrective retries of a forced tool_choice the server could not enforce (tools.forced_call_retries).",
    type: "counter",
    labels: ROUTE,
  },
  {
    name: "mallex_unknown_call_retries_total",
    help: "Retries of an answer that called a tool the request does not offer (tools.retry_unknown_calls).",
    type: "counter",
    labels: ROUTE,
  },
  {
    name: "mallex_model_server_state",
    help: "1 for the state each supervised model server is in, 0 for the others.",
    type: "gauge",
    labels: ["server", "model", "state"],
  },
  {
    name: "mallex_classifier_decisions_total",
    help: "Requests the model classifier was consulted for (no rule decided): cached (no call: the route its user turn took before, a tool round trip), ok (the model named an intent or none), invalid (its answer named no intent), timeout (no answer within classifier.timeout_ms), error (the call failed), cancelled (the client went away). Every outcome but cached is one call.",
    type: "counter",
    labels: ["outcome"],
  },
  {
    name: "mallex_memory_budget_bytes",
    help: "The memory the model servers mallex starts may take together (memory.budget_gb, else 75% of RAM).",
    type: "gauge",
    labels: [],
  },
  {
    name: "mallex_memory_held_bytes",
    help: "The memory held now by the model servers mallex runs or is starting, by their measured (else estimated) sizes.",
    type: "gauge",
    labels: [],
  },
  {
    name: "mallex_circuit_state",
    help: "1 for the state each backend's circuit breaker is in (closed, open, half-open), 0 for the others.",
    type: "gauge",
    labels: ["backend", "state"],
  },
  {
    name: "mallex_backend_in_flight",
    help: "Local backends of one server: requests it serves now (at most mallex_backend_capacity).",
    type: "gauge",
    labels: ["backend"],
  },
  {
    name: "mallex_backend_capacity",
    help: "Local backends: requests mallex lets reach it at once (a pool: its servers together), as set, said by its server or its flavor's default (mallex status says which).",
    type: "gauge",
    labels: ["backend"],
  },
  {
    name: "mallex_profile_context_tokens",
    help: "Local profiles: the context its server holds (read from the server where it says, else the profile's context_window), which trimming and mallex run follow.",
    type: "gauge",
    labels: ["profile"],
  },
  {
    name: "mallex_profile_prompt_budget_tokens",
    help: "Local profiles: the most prompt tokens mallex sends after trimming (input_budget, fitted to the server's context).",
    type: "gauge",
    labels: ["profile"],
  },
  {
    name: "mallex_backend_queue_depth",
    help: "Local backends of one server: requests waiting in its queue for their turn.",
    type: "gauge",
    labels: ["backend"],
  },
  {
    name: "mallex_pool_server_state",
    help: "Pooled backends (several servers): 1 for the state each server's breaker is in (closed, open: cooling down, half-open), 0 for the others.",
    type: "gauge",
    labels: ["backend", "server", "state"],
  },
  {
    name: "mallex_pool_server_requests",
    help: "Pooled backends: requests mallex has on each server now, in flight or waiting in its queue.",
    type: "gauge",
    labels: ["backend", "server"],
  },
  {
    name: "mallex_pool_server_queue_depth",
    help: "Pooled backends: requests waiting in each server's queue (as many as its capacity are in flight).",
    type: "gauge",
    labels: ["backend", "server"],
  },
  {
    name: "mallex_prefill_tokens_per_second",
    help: "Uncached prompt tokens each local profile prefills per second, as learned from its recent requests (the median).",
    type: "gauge",
    labels: ["profile"],
  },
  {
    name: "mallex_decode_tokens_per_second",
    help: "Tokens each local profile generates per second after the first, as learned from its recent requests (the median).",
    type: "gauge",
    labels: ["profile"],
  },
];

const BREAKER_STATES: readonly BreakerState[] = ["closed", "open", "half-open"];

export const createMallexMetrics = (): MetricsRegistry => createMetricsRegistry(MALLEX_METRICS);

/** What /metrics reads at the moment it is asked (the counters are recorded as requests end). */
export interface MetricSources {
  supervisors?: SupervisorPool | undefined;
  breakers?: CircuitBreakers | undefined;
  learned?: { table: RoutingTable; rates: TtftRates } | undefined;
  pools?: BackendPools | undefined;
  /** The backends' queues: a pool's servers each have their own, the other local backends one. */
  queues?: BackendQueues | undefined;
  backends?: Readonly<Record<string, RuntimeBackend>> | undefined;
  /** Each queue's limits now (backend-capacities.ts). */
  capacities?: BackendCapacities | undefined;
  /** The routing table as the servers are (fitted to their facts). */
  table?: RoutingTable | undefined;
}

/** The exposition text, with each supervised model server's state, each queue and each breaker read now. */
export function renderMetrics(registry: MetricsRegistry, sources: MetricSources): string {
  const { supervisors, breakers, learned, pools, queues } = sources;
  for (const supervisor of supervisors?.all() ?? []) {
    for (const state of STATES)
      registry.set("mallex_model_server_state", { server: supervisor.spec.key, model: supervisor.spec.model, state }, supervisor.state === state ? 1 : 0);
  }
  if (supervisors?.memory !== undefined) {
    registry.set("mallex_memory_budget_bytes", {}, supervisors.memory.budgetBytes);
    registry.set("mallex_memory_held_bytes", {}, supervisors.memory.heldBytes());
  }
  for (const backend of breakers?.known() ?? []) {
    const now = breakers!.state(backend);
    for (const state of BREAKER_STATES) registry.set("mallex_circuit_state", { backend, state }, now === state ? 1 : 0);
  }
  for (const pool of pools?.all() ?? []) {
    for (const server of pool.stats()) {
      const labels = { backend: pool.backend, server: server.url };
      for (const state of BREAKER_STATES) registry.set("mallex_pool_server_state", { ...labels, state }, server.state === state ? 1 : 0);
      registry.set("mallex_pool_server_requests", labels, server.load);
      registry.set("mallex_pool_server_queue_depth", labels, queues?.stats(poolQueueName(pool.backend, server.url)).waiting ?? 0);
    }
  }
  for (const backend of Object.values(sources.backends ?? {})) {
    if (queues === undefined || backend.kind !== "openai" || pools?.for(backend.name) !== undefined) continue;
    const { inFlight, waiting } = queues.stats(backend.name);
    registry.set("mallex_backend_in_flight", { backend: backend.name }, inFlight);
    registry.set("mallex_backend_queue_depth", { backend: backend.name }, waiting);
  }
  const capacity = new Map<string, number>();
  for (const queue of sources.capacities?.all() ?? []) capacity.set(queue.backend, (capacity.get(queue.backend) ?? 0) + queue.maxInFlight);
  for (const [backend, maxInFlight] of capacity) registry.set("mallex_backend_capacity", { backend }, maxInFlight);
  for (const profile of Object.values(sources.table?.profiles ?? {})) {
    if (sources.table!.backends[profile.backend]?.kind !== "openai") continue;
    if (profile.contextWindow !== undefined) registry.set("mallex_profile_context_tokens", { profile: profile.name }, profile.contextWindow);
    if (profile.inputBudget !== undefined && profile.trim !== false)
      registry.set("mallex_profile_prompt_budget_tokens", { profile: profile.name }, profile.inputBudget);
  }
  // Only rates known well enough to predict with: a profile without one has no sample.
  for (const profile of Object.values(learned?.table.profiles ?? {})) {
    const rates = learned!.rates.get(profile);
    const prefill = rateOf(rates?.prefill);
    const decode = rateOf(rates?.decode);
    if (prefill !== undefined) registry.set("mallex_prefill_tokens_per_second", { profile: profile.name }, prefill);
    if (decode !== undefined) registry.set("mallex_decode_tokens_per_second", { profile: profile.name }, decode);
  }
  return registry.render();
}
