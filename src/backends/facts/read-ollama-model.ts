import type { FactsTarget, ServerFacts } from "../server-facts.js";
import { listOf, serverRoot, someFacts, type FactsIo } from "./facts-io.js";
import { contextTokens, nameOf } from "./plausible-numbers.js";

/**
 * The context Ollama really gives a model (ollama/ollama v0.33, read at fb30760), from its own API
 * at the root beside /v1:
 * 1. `GET /api/ps`: loaded models, `models[]` of `ProcessModelResponse` (api/types.go: `name`,
 *    `model`, …, `context_length`, since v0.9.7). `context_length` is the runner's `NumCtx`
 *    (llm/llama_server.go `ContextLength`), per request: the runner gets `-c NumCtx*parallel -np
 *    parallel`. Once the model is loaded this is the truth.
 * 2. `POST /api/show {model}` (server/routes.go `GetModelInfo`): `parameters` is the Modelfile's
 *    options, one `%-30s %#v` line each (`num_ctx                        8192`), and `model_info`
 *    holds `<general.architecture>.context_length`, the trained context. A `num_ctx` there is what
 *    the model loads with, capped at the trained context (llm/server.go `NewLlamaServer`).
 * Otherwise Ollama picks the context when it loads the model: `OLLAMA_CONTEXT_LENGTH` if set, else
 * (since v0.15.5, server/routes.go `Serve`) by the machine's VRAM: 4096 under 23 GiB, 32768 under
 * 47 GiB, 262144 above (envconfig/config.go: 4096 from v0.6.7 to v0.15.4, 2048 before). No endpoint
 * publishes that choice before the model loads; what is sure is its ceiling: whatever num_ctx it
 * picks is clamped to the trained context (llm/server.go, "requested context size too large for
 * model"), and a prompt over the context is cut silently ("truncating input prompt"). So before
 * load the trained context stands as a provisional ceiling (a larger declared window is lowered to
 * it) and the facts are read again at the next request, until /api/ps has the loaded context.
 * Ollama serves many models: without a profile model there is nothing to read. Parallel requests
 * (`OLLAMA_NUM_PARALLEL`) are published nowhere.
 */
export async function readOllamaModel(target: FactsTarget, io: FactsIo): Promise<ServerFacts | undefined> {
  const model = target.model;
  if (model === undefined) return undefined;
  const root = serverRoot(target.baseUrl);
  const wanted = withTag(model);
  const running = listOf(await io.ask(`${root}/api/ps`), "models").find((entry) => withTag(entry.name) === wanted || withTag(entry.model) === wanted);
  const loadedContext = contextTokens(running?.context_length);
  if (running !== undefined && loadedContext !== undefined) {
    return { contextWindow: loadedContext, model: nameOf(running.name) ?? model, source: "ollama GET /api/ps context_length" };
  }
  const shown = (await io.ask(`${root}/api/show`, { method: "POST", body: { model } })) as
    { parameters?: unknown; model_info?: Record<string, unknown> } | undefined;
  // Every ShowResponse has model_info (api/types.go, no omitempty): anything else is not Ollama's answer.
  if (shown === null || typeof shown !== "object" || shown.model_info === null || typeof shown.model_info !== "object") return undefined;
  const numCtx = contextTokens(numCtxOf(shown.parameters));
  const architecture = shown.model_info?.["general.architecture"];
  const trained = typeof architecture === "string" ? contextTokens(shown.model_info?.[`${architecture}.context_length`]) : undefined;
  if (numCtx !== undefined) return { contextWindow: Math.min(numCtx, trained ?? numCtx), model, source: "ollama POST /api/show parameters num_ctx" };
  if (trained !== undefined)
    return {
      contextWindow: trained,
      model,
      source: `ollama POST /api/show model_info ${architecture as string}.context_length (not loaded: Ollama picks its context, at most this, when it loads the model)`,
      provisional: true,
    };
  return someFacts({ model, source: "ollama POST /api/show (no num_ctx: Ollama picks the context when it loads the model)", provisional: true });
}

/** `num_ctx` in /api/show's `parameters` text. */
function numCtxOf(parameters: unknown): number | undefined {
  if (typeof parameters !== "string") return undefined;
  const match = /^num_ctx\s+(\d+)\s*$/m.exec(parameters);
  return match === null ? undefined : Number(match[1]);
}

/** Ollama's names default their tag to latest (`qwen3` is `qwen3:latest`). */
function withTag(name: unknown): string | undefined {
  if (typeof name !== "string" || name === "") return undefined;
  return /:[^/]+$/.test(name) ? name : `${name}:latest`;
}
