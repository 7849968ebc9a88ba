import type { FactsTarget, ServerFacts } from "../server-facts.js";
import { listOf, serverRoot, someFacts, type FactsIo } from "./facts-io.js";
import { contextTokens, nameOf } from "./plausible-numbers.js";

/**
 * LM Studio's own REST API, beside its OpenAI one (docs: lmstudio-ai/docs
 * 1_developer/2_rest/endpoints.md, "REST API v0", LM Studio 0.3.6+, kept in 0.4; and
 * 1_developer/2_rest/list.md, "GET /api/v1/models", 0.4+):
 * - `GET /api/v0/models`: `data[]` of `{id, object, type: "llm"|"vlm"|"embeddings", publisher, arch,
 *   compatibility_type, quantization, state: "loaded"|"not-loaded", max_context_length}`, and for a
 *   loaded model `loaded_context_length`: the context it was loaded with, what a request can hold.
 *   `max_context_length` is what the model supports, not what is loaded: not read.
 * - `GET /api/v1/models` (asked when v0 gives nothing): `models[]` of `{type, key, …,
 *   loaded_instances: [{id, config: {context_length}}], max_context_length}`.
 * LM Studio answers a route it lacks with a 200 `{"error": "Unexpected endpoint or method. (GET …)"}`
 * (lmstudio-ai/lmstudio-bug-tracker#618), so v0 counts as missing when its answer has no `data` list.
 * A model that is not loaded has no context yet (LM Studio picks it when it loads the model): only its name.
 * Without a profile model, the one loaded language model is read, if exactly one is.
 */
export async function readLmStudioModels(target: FactsTarget, io: FactsIo): Promise<ServerFacts | undefined> {
  const root = serverRoot(target.baseUrl);
  const v0 = await io.ask(`${root}/api/v0/models`);
  if (Array.isArray((v0 as { data?: unknown } | undefined)?.data)) return fromV0(listOf(v0, "data"), target.model);
  return fromV1(listOf(await io.ask(`${root}/api/v1/models`), "models"), target.model);
}

function fromV0(entries: Record<string, unknown>[], model: string | undefined): ServerFacts | undefined {
  const loaded = (entry: Record<string, unknown>) => entry.state === "loaded";
  const entry =
    model !== undefined
      ? entries.find((candidate) => candidate.id === model)
      : only(entries.filter((candidate) => loaded(candidate) && candidate.type !== "embeddings"));
  if (entry === undefined) return undefined;
  return someFacts({
    contextWindow: loaded(entry) ? contextTokens(entry.loaded_context_length) : undefined,
    model: nameOf(entry.id),
    source: "lmstudio GET /api/v0/models loaded_context_length",
  });
}

function fromV1(entries: Record<string, unknown>[], model: string | undefined): ServerFacts | undefined {
  const instancesOf = (entry: Record<string, unknown>) => listOf(entry, "loaded_instances");
  const entry =
    model !== undefined
      ? entries.find((candidate) => candidate.key === model)
      : only(entries.filter((candidate) => instancesOf(candidate).length > 0 && candidate.type !== "embedding"));
  if (entry === undefined) return undefined;
  // Several instances of one model may be loaded with different contexts: the smallest holds for all.
  const contexts = instancesOf(entry)
    .map((instance) => contextTokens((instance.config as { context_length?: unknown } | undefined)?.context_length))
    .filter((context): context is number => context !== undefined);
  return someFacts({
    contextWindow: contexts.length > 0 ? Math.min(...contexts) : undefined,
    model: nameOf(entry.key),
    source: "lmstudio GET /api/v1/models loaded_instances[].config.context_length",
  });
}

function only<T>(list: T[]): T | undefined {
  return list.length === 1 ? list[0] : undefined;
}
