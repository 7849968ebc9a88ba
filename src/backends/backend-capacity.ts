import type { CompiledProfile } from "../compile/routing-table.js";
import type { ServerFacts } from "./server-facts.js";

/**
 * How many requests mallex lets reach one backend (or one server of a pool) at once, how many may
 * wait behind them, and where each number came from, in words for the 529 message, doctor, status,
 * /metrics and the dashboard.
 */
export interface BackendCapacity {
  /** Requests sent to the server at once (≥ 1). */
  maxInFlight: number;
  /** Requests that may wait for a slot (≥ 0); one more gets 529 at once. */
  maxWaiting: number;
  /** "set" (server.max_in_flight_per_backend), "server: llama-server GET /props", "default for mlx-lm". */
  source: string;
  /** "set" (server.max_waiting_per_backend) or how it follows the in-flight limit. */
  waitingSource: string;
}

export interface CapacityInput {
  flavor: string;
  /** server.max_in_flight_per_backend and max_waiting_per_backend, each absent when the user did not set it. */
  set: { maxInFlight?: number | undefined; maxWaiting?: number | undefined };
  /** What the server said about itself (server-facts.ts); absent: not read (yet), or it says nothing. */
  facts?: ServerFacts | undefined;
  /** The profiles this backend serves: a draft model keeps mlx-lm from batching; the embedded engine's sequences. */
  profiles?: ReadonlyArray<Pick<CompiledProfile, "draftModel" | "engine">>;
}

/** The waiting limit when it is not set: never fewer than before capacities were read, and a few rounds of the in-flight limit. */
export const MIN_WAITING = 16;
export const WAITING_PER_IN_FLIGHT = 4;

/**
 * Pure: the user's setting wins, then what the server said it runs at once, then what the flavor
 * runs by default. The waiting limit follows the in-flight one unless it is set.
 */
export function backendCapacity(input: CapacityInput): BackendCapacity {
  const { set, facts } = input;
  const inFlight =
    set.maxInFlight !== undefined
      ? { maxInFlight: set.maxInFlight, source: "set" }
      : unbatched(input)
        ? { maxInFlight: 1, source: "mlx-lm with a draft model serves one at a time" }
        : facts?.parallel !== undefined && facts.parallel >= 1
          ? { maxInFlight: Math.floor(facts.parallel), source: `server: ${facts.source}` }
          : { maxInFlight: defaultInFlight(input.flavor, input.profiles ?? []), source: `default for ${input.flavor}` };
  const waiting =
    set.maxWaiting !== undefined
      ? { maxWaiting: set.maxWaiting, waitingSource: "set" }
      : {
          maxWaiting: Math.max(MIN_WAITING, WAITING_PER_IN_FLIGHT * inFlight.maxInFlight),
          waitingSource: `${WAITING_PER_IN_FLIGHT} × in flight, at least ${MIN_WAITING}`,
        };
  return { ...inFlight, ...waiting };
}

/**
 * mlx_lm/server.py (0.32): a model loaded with a draft model is not batchable
 * (ModelProvider.is_batchable = draft_model is None) and is served one request at a time, whatever
 * its --decode-concurrency (which is all its facts can say).
 */
function unbatched(input: CapacityInput): boolean {
  return input.flavor === "mlx-lm" && (input.profiles ?? []).some((profile) => profile.draftModel !== undefined);
}

/**
 * What a server of this flavor runs at once when nobody said otherwise. Servers whose parallelism
 * is a setting of their own that mallex cannot read, and that queue the rest themselves, get a
 * generous limit: a lower one in mallex would cap a user who raised the server's, and the requests
 * past the server's own limit wait in its queue at no cost to mallex.
 */
export function defaultInFlight(flavor: string, profiles: ReadonlyArray<Pick<CompiledProfile, "draftModel" | "engine">>): number {
  switch (flavor) {
    case "mlx-lm":
      // mlx_lm/server.py (0.32): --decode-concurrency defaults to 32 requests decoded in one batch
      // (BatchGenerator's completion_batch_size).
      return MLX_LM_DECODE_CONCURRENCY;
    case "llama-server":
      // llama.cpp common/arg.cpp sets n_parallel = -1 ("auto") for the server, and
      // tools/server/server.cpp turns auto into 4 slots with a unified KV cache.
      return LLAMA_SERVER_AUTO_SLOTS;
    case "embedded":
      // `mallex engine --parallel` (engine.sequences, 1 when unset: src/engine/load-engine.ts): each
      // engine of this backend generates that many at once; the largest, as one queue feeds them all.
      return Math.max(1, ...profiles.map((profile) => profile.engine?.sequences ?? 1));
    case "vllm":
      // vllm/engine/arg_utils.py EngineArgs.get_batch_defaults: max_num_seqs 256 for the OpenAI API
      // server (1024 on GPUs with ≥ 70 GiB); the scheduler queues what does not fit.
      return VLLM_MAX_NUM_SEQS;
    case "ollama":
      // Ollama runs OLLAMA_NUM_PARALLEL per model (a setting of the server) and queues up to
      // OLLAMA_MAX_QUEUE (512) itself (envconfig/config.go).
      return GENEROUS_IN_FLIGHT;
    case "lmstudio":
      // LM Studio runs "Max Concurrent Predictions" per loaded model (4 by default, set in its model
      // loader: https://lmstudio.ai/docs/app/advanced/parallel-requests) and queues the rest.
      return GENEROUS_IN_FLIGHT;
    case "exo":
      // exo batches the requests of a placed instance continuously (exo-explore/exo TODO.md, item 7,
      // is about a new prompt's prefill pausing the batch's decode); its API says no batch size.
      return GENEROUS_IN_FLIGHT;
    case "openrouter":
      // A hosted API: its limits are the account's rate limits, answered as 429s, not a batch size.
      return GENEROUS_IN_FLIGHT;
    default:
      // generic: any OpenAI-compatible server; nothing is known of it, and the common ones batch.
      return GENEROUS_IN_FLIGHT;
  }
}

export const MLX_LM_DECODE_CONCURRENCY = 32;
export const LLAMA_SERVER_AUTO_SLOTS = 4;
export const VLLM_MAX_NUM_SEQS = 256;
export const GENEROUS_IN_FLIGHT = 64;
