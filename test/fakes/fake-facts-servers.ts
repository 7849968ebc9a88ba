/**
 * Fakes of what each kind of model server says about itself, in process on 127.0.0.1, answering the
 * routes mallex reads for a server's facts (src/backends/facts/) with the fields, structure and
 * errors of the real servers (sources in each builder's comment), plus servers that misbehave:
 * 404 everywhere, a 200 that is not JSON, a server that never answers. mlx-lm.server and exo have
 * their own, fuller fakes (mlx-lm-server.js, fake-exo.ts).
 *
 * @example
 * const llama = await startFakeLlamaServer({ nCtx: 8192, totalSlots: 4, modelPath: "/m/qwen.gguf" });
 * await discoverServerFacts({ flavor: "llama-server", baseUrl: llama.url, headers: {} });
 * await llama.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBodyText } from "../../src/shared/read-body-text.js";

export interface FactsRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: unknown;
}

export interface FakeFactsServer {
  /** The OpenAI base, `http://127.0.0.1:PORT/v1`. */
  url: string;
  port: number;
  requests: FactsRequest[];
  close(): Promise<void>;
}

/** An answer: JSON (`body`), raw text (`text`), or nothing ever (`hang`). Undefined: the server's 404. */
export type FakeAnswer = { status?: number; body: unknown } | { status?: number; text: string; contentType?: string } | { hang: true };
export type FactsRoute = (request: FactsRequest) => FakeAnswer | undefined;

/** A server answering `route`; `notFound` is its own 404 (each server words it its own way). */
export async function startFactsServer(
  route: FactsRoute,
  notFound: FakeAnswer = { status: 404, text: "Not Found", contentType: "text/plain" },
): Promise<FakeFactsServer> {
  const requests: FactsRequest[] = [];
  const server = createServer(async (req, res) => {
    const raw = await readBodyText(req, 16 * 1024 * 1024);
    const url = new URL(req.url ?? "/", "http://fake");
    let body: unknown = raw;
    try {
      body = raw === "" ? undefined : JSON.parse(raw);
    } catch {
      // kept as text
    }
    const request = { method: req.method ?? "GET", path: `${url.pathname}${url.search}`, query: url.searchParams, headers: req.headers, body };
    requests.push(request);
    send(res, route(request) ?? notFound);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A server that answers every request with a 404, a 200 that is not JSON, or never. */
export function startMisbehavingServer(kind: "not-found" | "garbage" | "hang"): Promise<FakeFactsServer> {
  const answer: FakeAnswer =
    kind === "hang"
      ? { hang: true }
      : kind === "garbage"
        ? { status: 200, text: "<html><body>It works!</body></html>", contentType: "application/json" }
        : { status: 404, text: "Not Found", contentType: "text/plain" };
  return startFactsServer(() => answer);
}

// llama-server ------------------------------------------------------------------------------------

export interface LlamaServerShape {
  /** `default_generation_settings.n_ctx`: one slot's context. */
  nCtx: number;
  totalSlots: number;
  modelPath: string;
  /** `--alias`; default: the path, as llama-server names it. */
  alias?: string;
  /** `/v1/models` `meta.n_ctx_train`. */
  nCtxTrain?: number;
}

/**
 * `GET /props` as llama.cpp's tools/server/server-context.cpp `get_res_props` writes it, captured
 * from the real llama-server (80fb11a, `-c 4096 -np 2`) with its values swapped for `shape`'s.
 */
export function llamaServerProps(shape: LlamaServerShape): Record<string, unknown> {
  return {
    default_generation_settings: {
      params: {
        seed: 4294967295,
        temperature: 0.800000011920929,
        dynatemp_range: 0.0,
        dynatemp_exponent: 1.0,
        top_k: 40,
        top_p: 0.949999988079071,
        min_p: 0.05000000074505806,
        top_n_sigma: -1.0,
        xtc_probability: 0.0,
        xtc_threshold: 0.10000000149011612,
        typical_p: 1.0,
        repeat_last_n: 64,
        repeat_penalty: 1.0,
        presence_penalty: 0.0,
        frequency_penalty: 0.0,
        dry_multiplier: 0.0,
        dry_base: 1.75,
        dry_allowed_length: 2,
        dry_penalty_last_n: 64,
        mirostat: 0,
        mirostat_tau: 5.0,
        mirostat_eta: 0.10000000149011612,
        adaptive_target: -1.0,
        adaptive_decay: 0.8999999761581421,
        max_tokens: -1,
        n_predict: -1,
        n_keep: 0,
        n_discard: 0,
        ignore_eos: false,
        stream: false,
        n_probs: 0,
        min_keep: 0,
        chat_format: "Content-only",
        reasoning_format: "none",
        reasoning_in_content: false,
        generation_prompt: "",
        samplers: ["penalties", "dry", "top_n_sigma", "top_k", "typ_p", "top_p", "min_p", "xtc", "temperature"],
        "speculative.types": "none",
        timings_per_token: false,
        post_sampling_probs: false,
        backend_sampling: false,
        lora: [],
      },
      n_ctx: shape.nCtx,
    },
    total_slots: shape.totalSlots,
    model_alias: shape.alias ?? shape.modelPath,
    model_ftype: "F16",
    model_path: shape.modelPath,
    modalities: { vision: false, video: false, audio: false },
    media_marker: "<__media_FtzbeETgkPpupZQVM1k6cWqpvymov7Dw__>",
    endpoint_slots: true,
    endpoint_props: false,
    endpoint_metrics: false,
    ui: true,
    ui_settings: {},
    chat_template:
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
    chat_template_caps: {
      supports_object_arguments: false,
      supports_parallel_tool_calls: false,
      supports_preserve_reasoning: false,
      supports_reasoning_effort: false,
      supports_string_content: true,
      supports_system_role: true,
      supports_tool_calls: false,
      supports_tools: false,
      supports_typed_content: false,
    },
    bos_token: "<s>",
    eos_token: "</s>",
    build_info: "b1-80fb11a",
    is_sleeping: false,
    cors_proxy_enabled: false,
  };
}

/** llama-server's `GET /v1/models` (server-context.cpp `get_res_model_info`), `data` part as captured. */
export function llamaServerModels(shape: LlamaServerShape): Record<string, unknown> {
  const id = shape.alias ?? shape.modelPath;
  return {
    object: "list",
    data: [
      {
        id,
        aliases: [id],
        tags: [],
        object: "model",
        created: 1795393002,
        owned_by: "llamacpp",
        meta: {
          vocab_type: true,
          n_vocab: 32000,
          n_ctx: shape.nCtx,
          n_ctx_train: shape.nCtxTrain ?? 4096,
          n_embd: 8,
          n_params: 513048,
          size: 1026144,
          ftype: "F16",
        },
      },
    ],
  };
}

/** llama-server's error body (server-common.cpp `format_error_response`). */
const llamaError = (status: number, message: string, type: string): FakeAnswer => ({ status, body: { error: { code: status, message, type } } });

/**
 * A llama-server: `/props`, `/v1/models`, `/health`. With `router`, router mode (server-models.cpp):
 * `/props` is the router's own (`role: "router"`, n_ctx 0), `/props?model=` a loaded model's, 400
 * "model is not loaded" for one it would have to load (`autoload=false`).
 */
export function startFakeLlamaServer(shape: LlamaServerShape, router?: { loaded: Record<string, LlamaServerShape> }): Promise<FakeFactsServer> {
  return startFactsServer(
    (request) => {
      const path = request.path.split("?")[0];
      if (request.method !== "GET") return undefined;
      if (path === "/health") return { body: { status: "ok" } };
      if (path === "/v1/models" || path === "/models") return { body: llamaServerModels(shape) };
      if (path !== "/props") return undefined;
      if (router === undefined) return { body: llamaServerProps(shape) };
      const name = request.query.get("model");
      if (name === null) {
        return {
          body: {
            role: "router",
            max_instances: 4,
            models_autoload: true,
            model_alias: "llama-server",
            model_path: "none",
            default_generation_settings: { params: {}, n_ctx: 0 },
            ui_settings: {},
            build_info: "b1-80fb11a",
            cors_proxy_enabled: false,
          },
        };
      }
      const loaded = router.loaded[name];
      return loaded === undefined ? llamaError(400, "model is not loaded", "invalid_request_error") : { body: llamaServerProps(loaded) };
    },
    llamaError(404, "File Not Found", "not_found_error"),
  );
}

// vLLM --------------------------------------------------------------------------------------------

/**
 * vLLM's `GET /v1/models`: `ModelList` of `ModelCard` (vllm/entrypoints/openai/engine/protocol.py),
 * built by `show_available_models` (vllm/entrypoints/openai/models/serving.py): each served name with
 * `max_model_len` and `root` (the model path), then LoRA adapters with `parent` and no max_model_len.
 * Unknown routes: FastAPI's `{"detail": "Not Found"}`.
 */
export function startFakeVllm(shape: { servedNames: string[]; modelPath: string; maxModelLen: number; loras?: string[] }): Promise<FakeFactsServer> {
  const permission = () => ({
    id: "modelperm-9f5c1a7e",
    object: "model_permission",
    created: 1767225600,
    allow_create_engine: false,
    allow_sampling: true,
    allow_logprobs: true,
    allow_search_indices: false,
    allow_view: true,
    allow_fine_tuning: false,
    organization: "*",
    group: null,
    is_blocking: false,
  });
  const base = shape.servedNames.map((id) => ({
    id,
    object: "model",
    created: 1767225600,
    owned_by: "vllm",
    root: shape.modelPath,
    parent: null,
    max_model_len: shape.maxModelLen,
    permission: [permission()],
  }));
  const loras = (shape.loras ?? []).map((id) => ({
    id,
    object: "model",
    created: 1767225600,
    owned_by: "vllm",
    root: `/adapters/${id}`,
    parent: shape.servedNames[0],
    max_model_len: null,
    permission: [permission()],
  }));
  return startFactsServer(
    (request) => (request.method === "GET" && request.path === "/v1/models" ? { body: { object: "list", data: [...base, ...loras] } } : undefined),
    { status: 404, body: { detail: "Not Found" } },
  );
}

// LM Studio ---------------------------------------------------------------------------------------

export interface LmStudioModel {
  id: string;
  type?: "llm" | "vlm" | "embeddings";
  maxContextLength: number;
  /** The context it is loaded with; absent: not loaded. */
  loadedContextLength?: number;
}

/**
 * LM Studio's REST API (lmstudio-ai/docs 1_developer/2_rest/endpoints.md, list.md):
 * `GET /api/v0/models` (`data[]`: id, object, type, publisher, arch, compatibility_type,
 * quantization, state, max_context_length, and loaded_context_length when loaded; absent with
 * `api: "v1-only"`) and `GET /api/v1/models` (`models[]`: type, publisher, key, display_name, …,
 * loaded_instances[{id, config: {context_length, …}}], max_context_length). A route it lacks is a
 * 200 `{"error": "Unexpected endpoint or method. (GET /x)"}` (lmstudio-ai/lmstudio-bug-tracker#618).
 */
export function startFakeLmStudio(models: LmStudioModel[], api: "v0" | "v1-only" = "v0"): Promise<FakeFactsServer> {
  const v0 = models.map((model) => ({
    id: model.id,
    object: "model",
    type: model.type ?? "llm",
    publisher: "lmstudio-community",
    arch: "qwen3",
    compatibility_type: "gguf",
    quantization: "Q4_K_M",
    state: model.loadedContextLength === undefined ? "not-loaded" : "loaded",
    max_context_length: model.maxContextLength,
    ...(model.loadedContextLength === undefined ? {} : { loaded_context_length: model.loadedContextLength }),
  }));
  const v1 = models.map((model) => ({
    type: model.type === "embeddings" ? "embedding" : "llm",
    publisher: "lmstudio-community",
    key: model.id,
    display_name: model.id,
    architecture: "qwen3",
    quantization: { name: "Q4_K_M", bits_per_weight: 4 },
    size_bytes: 18_556_686_208,
    params_string: "30B",
    loaded_instances:
      model.loadedContextLength === undefined
        ? []
        : [
            {
              id: model.id,
              config: { context_length: model.loadedContextLength, eval_batch_size: 512, flash_attention: true, num_experts: 8, offload_kv_cache_to_gpu: true },
            },
          ],
    max_context_length: model.maxContextLength,
    format: "gguf",
    capabilities: { vision: false, trained_for_tool_use: true },
    description: null,
  }));
  return startFactsServer((request) => {
    if (request.method === "GET" && request.path === "/api/v0/models" && api === "v0") return { body: { object: "list", data: v0 } };
    if (request.method === "GET" && request.path === "/api/v1/models") return { body: { models: v1 } };
    return { status: 200, body: { error: `Unexpected endpoint or method. (${request.method} ${request.path})` } };
  });
}

// Ollama ------------------------------------------------------------------------------------------

export interface OllamaModel {
  /** `general.architecture`. */
  architecture: string;
  /** `<arch>.context_length`: the trained context. */
  trainedContext: number;
  /** A Modelfile `PARAMETER num_ctx`. */
  numCtx?: number;
  /** In memory, loaded with this context (`/api/ps`). */
  loadedContext?: number;
}

/**
 * Ollama's own API (ollama/ollama v0.33, server/routes.go, api/types.go): `POST /api/show` →
 * `ShowResponse` (license, modelfile, parameters as `%-30s %#v` lines, template, details,
 * model_info, capabilities, modified_at), 404 `{"error": "model 'x' not found"}`; `GET /api/ps` →
 * `{models: ProcessModelResponse[]}` (name, model, size, digest, details, expires_at, size_vram,
 * context_length). Models are named with their tag (`qwen3:8b`, `llama3.2:latest`).
 */
export function startFakeOllama(models: Record<string, OllamaModel>): Promise<FakeFactsServer> {
  const details = (model: OllamaModel) => ({
    parent_model: "",
    format: "gguf",
    family: model.architecture,
    families: [model.architecture],
    parameter_size: "8.2B",
    quantization_level: "Q4_K_M",
  });
  const named = (name: string) => models[name] ?? (name.includes(":") ? undefined : models[`${name}:latest`]);
  return startFactsServer(
    (request) => {
      if (request.method === "GET" && request.path === "/api/ps") {
        const loaded = Object.entries(models).filter(([, model]) => model.loadedContext !== undefined);
        return {
          body: {
            models: loaded.map(([name, model]) => ({
              name,
              model: name,
              size: 6_654_289_920,
              digest: "500a1f067a9f782620b40bee6f7b0c89e17ae61f686b92c24933e4ca4b2b8b41",
              details: details(model),
              expires_at: "2026-11-23T01:05:00.000000000Z",
              size_vram: 6_654_289_920,
              context_length: model.loadedContext,
            })),
          },
        };
      }
      if (request.method === "POST" && request.path === "/api/show") {
        const name = (request.body as { model?: unknown } | undefined)?.model;
        if (typeof name !== "string" || name === "") return { status: 400, body: { error: "model is required" } };
        const model = named(name);
        if (model === undefined) return { status: 404, body: { error: `model '${name}' not found` } };
        const options: Array<[string, string]> = [
          ["stop", '"<|im_start|>"'],
          ["stop", '"<|im_end|>"'],
          ["temperature", "0.6"],
          ...(model.numCtx === undefined ? [] : [["num_ctx", String(model.numCtx)] as [string, string]]),
        ];
        return {
          body: {
            license: "Apache License 2.0",
            modelfile: `# Modelfile generated by "ollama show"\nFROM /root/.ollama/models/blobs/sha256-a3de86cd1c132c822487ededd47a324c50491393e6565cd14bafa40d0b8e686f\n`,
            parameters: options.map(([key, value]) => `${key.padEnd(30)} ${value}`).join("\n"),
            template: "{{ .Prompt }}",
            details: details(model),
            model_info: {
              "general.architecture": model.architecture,
              "general.basename": name.split(":")[0],
              "general.parameter_count": 8_190_735_360,
              [`${model.architecture}.context_length`]: model.trainedContext,
              [`${model.architecture}.embedding_length`]: 4096,
            },
            tensors: [],
            capabilities: ["completion", "tools"],
            modified_at: "2026-11-20T09:14:03.123456789Z",
          },
        };
      }
      return undefined;
    },
    { status: 404, text: "404 page not found", contentType: "text/plain" },
  );
}

// OpenRouter --------------------------------------------------------------------------------------

/**
 * OpenRouter's `GET /api/v1/models` (its API reference, "List all models"):
 * `data[]` of {id, canonical_slug, name, created, description, context_length, architecture,
 * pricing, top_provider: {context_length, max_completion_tokens, is_moderated},
 * per_request_limits, supported_parameters}. Its base URL is `…/api/v1`: `url` here is `…/v1`.
 */
export function startFakeOpenRouter(models: Array<{ id: string; contextLength: number }>): Promise<FakeFactsServer> {
  const data = models.map((model) => ({
    id: model.id,
    canonical_slug: model.id,
    name: model.id,
    created: 1767225600,
    description: "",
    context_length: model.contextLength,
    architecture: { modality: "text->text", input_modalities: ["text"], output_modalities: ["text"], tokenizer: "Qwen3", instruct_type: null },
    pricing: { prompt: "0.0000002", completion: "0.0000008", request: "0", image: "0", web_search: "0", internal_reasoning: "0" },
    top_provider: { context_length: model.contextLength, max_completion_tokens: 32768, is_moderated: false },
    per_request_limits: null,
    supported_parameters: ["max_tokens", "temperature", "tools", "tool_choice"],
  }));
  return startFactsServer((request) => (request.method === "GET" && request.path === "/v1/models" ? { body: { data } } : undefined));
}

function send(res: ServerResponse, answer: FakeAnswer): void {
  if ("hang" in answer) return;
  if ("text" in answer) {
    res.writeHead(answer.status ?? 200, { "content-type": answer.contentType ?? "text/plain" });
    res.end(answer.text);
    return;
  }
  res.writeHead(answer.status ?? 200, { "content-type": "application/json" });
  res.end(JSON.stringify(answer.body));
}
