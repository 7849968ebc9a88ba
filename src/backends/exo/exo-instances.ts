import { isNoInstanceError } from "./exo-api.js";
import { placeModel } from "./exo-place-model.js";
import { postChatCompletions, type ChatCompletionResponse, type PostOptions } from "../post-chat-completions.js";
import type { RuntimeBackend } from "../resolve-backends.js";
import type { UpstreamBody } from "../upstream-body.js";

/**
 * Backends of flavor `exo`: a cluster of Macs running exo (exo-explore/exo), which splits one model
 * too big for a single machine across several and serves it over OpenAI Chat Completions on port
 * 52415. mallex attaches to it (never supervises it) and places the profile's model on the cluster
 * before the first request for it.
 *
 * exo's API as read in its source (src/exo/api/main.py, src/exo/api/types/api.py, keepalive.py):
 * - `POST /v1/chat/completions` needs `model` (exact id) and answers HTTP 404
 *   `{"error": {"message": "No instance found for model <id>", "type": "Not Found", "code": 404}}`
 *   while the model has no instance. A request accepted while the instance's runners still download
 *   or load waits for them; a stream sends `: keep-alive` comments meanwhile (every 10 s).
 * - `GET /instance/previews?model_id=` → `{"previews": [{model_id, sharding: "Pipeline"|"Tensor",
 *   instance_meta: "MlxRing"|"MlxJaccl", instance: {"MlxRingInstance": {…}} | null,
 *   memory_delta_by_node, error: string | null}]}`: every placement shape, valid ones first with
 *   `error` null; an empty list while exo sees no machine; HTTP 400 for a model it has no card for.
 * - `POST /place_instance {model_id, sharding, instance_meta, min_nodes}` → `{message: "Command
 *   received.", command_id, model_card}`: asynchronous, the master places it against its state then.
 *   (`POST /instance {instance}` would create the preview's instance verbatim, bypassing the master's
 *   placement checks against the state of that moment; mallex lets the master place.)
 * - `GET /instance/await?model_id=&timeout_seconds=` (0 = forever, at most 300): SSE, HTTP 200,
 *   `: keep-alive` first and after each 10 s of silence, then one `data:` message,
 *   `{"type": "ready", "instance": {…}}` once exo's state holds an instance of the model, or
 *   `{"type": "timeout", "message": "No instance found for model <id>"}`. There is no loading status:
 *   "ready" means placed; the weights load after.
 * - `GET /state/instances`: the instances, by id, each `{"<Class>": {instanceId, shardAssignments:
 *   {modelId, nodeToRunner, …}, …}}` (camelCase there); `GET /v1/models` lists the known models.
 *
 * Placement of one model on one server is done once however many requests arrive together: they
 * share one promise, kept here (created with the server context, never module-level).
 */
export interface ExoInstances {
  /**
   * Resolves once `model` has an instance on the backend's exo, placing it first where it has none;
   * `undefined` (nothing to wait for, no allocation) once it is known to be placed. Aborting `signal`
   * stops this request's wait, not the placement others may share.
   */
  ready(backend: RuntimeBackend, model: string, signal: AbortSignal): Promise<void> | undefined;
  /** exo said the model has no instance (removed, or its machines left): the next ready() places it again. */
  lost(backend: RuntimeBackend, model: string): void;
  /** Stops every placement under way (the proxy is closing). */
  close(): void;
}

export interface ExoInstancesOptions {
  log: (line: string) => void;
  /**
   * Longest one placement may take when the backend sets no timeout_s. exo records a placement in its
   * state within a second or two of /place_instance (the download and the load come after, while the
   * request waits on exo's keep-alive comments); a minute covers a busy master or a leader election,
   * and fails a placement exo dropped (its master's log says why) well before a client gives up.
   */
  defaultTimeoutMs?: number;
  fetch?: typeof fetch;
}

export const DEFAULT_EXO_PLACEMENT_TIMEOUT_MS = 60_000;

export function createExoInstances(options: ExoInstancesOptions): ExoInstances {
  const placed = new Set<string>();
  const placing = new Map<string, Promise<void>>();
  const closing = new AbortController();
  const keyOf = (backend: RuntimeBackend, model: string) => `${backend.baseUrl}\n${model}`;
  return {
    ready(backend, model, signal) {
      const key = keyOf(backend, model);
      if (placed.has(key)) return undefined;
      let shared = placing.get(key);
      if (shared === undefined) {
        shared = placeModel({
          backend: backend.name,
          baseUrl: backend.baseUrl ?? "",
          model,
          timeoutMs: backend.timeoutMs ?? options.defaultTimeoutMs ?? DEFAULT_EXO_PLACEMENT_TIMEOUT_MS,
          signal: closing.signal,
          log: options.log,
          fetch: options.fetch ?? fetch,
        });
        placing.set(key, shared);
        // Settled once, here: every waiter sees the same outcome, and a failure is logged once.
        shared.then(
          () => {
            placing.delete(key);
            placed.add(key);
          },
          (error: unknown) => {
            placing.delete(key);
            options.log(`backend ${backend.name}: placing ${model} on exo failed: ${(error as Error).message}`);
          },
        );
      }
      return untilAborted(shared, signal);
    },
    lost(backend, model) {
      placed.delete(keyOf(backend, model));
    },
    close() {
      closing.abort();
    },
  };
}

/**
 * postChatCompletions for an exo backend: the model is placed first (see {@link ExoInstances}), and
 * a request exo refuses because the instance went away places it again and is sent once more (exo
 * refused it before generating anything). Without `exo` (a context built without it) it only posts.
 */
export async function postToExo(
  exo: ExoInstances | undefined,
  backend: RuntimeBackend,
  model: string,
  body: UpstreamBody,
  options: PostOptions,
): Promise<ChatCompletionResponse> {
  if (exo === undefined) return postChatCompletions(backend, body, options);
  const first = exo.ready(backend, model, options.signal);
  if (first !== undefined) await first;
  try {
    return await postChatCompletions(backend, body, options);
  } catch (error) {
    if (!isNoInstanceError(error)) throw error;
    exo.lost(backend, model);
    await exo.ready(backend, model, options.signal);
    return postChatCompletions(backend, body, options);
  }
}

/** `promise`, or the abort of `signal` if it comes first (the promise goes on for others). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error as Error);
      },
    );
  });
}
