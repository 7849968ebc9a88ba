/**
 * A fake exo (exo-explore/exo) API on 127.0.0.1, in process, as its source behaves (src/exo/api/main.py,
 * types/api.py, keepalive.py; see src/backends/exo/exo-instances.ts for the summary):
 * - `GET /v1/models` (`ModelListModel`s, src/exo/api/types/api.py: the card's `context_length`, 0
 *   when it has none), `GET /state/instances` (instances by id, tagged and camelCase);
 * - `GET /instance/previews?model_id=`: valid placements first (error null), the shapes that cannot
 *   be placed with exo's reason; none while it sees no machine; HTTP 400 for a model without a card;
 * - `POST /place_instance {model_id, sharding, instance_meta, min_nodes}`: "Command received.", the
 *   instance appears in state `placeMs` later (or never, with `dropPlacement`: the master's placement failed);
 * - `GET /instance/await?model_id=&timeout_seconds=`: SSE, `: keep-alive` at once and after each
 *   `keepAliveMs` of silence, then `{"type": "ready", "instance"}` or `{"type": "timeout", "message"}`;
 * - `POST /v1/chat/completions`: 422 without `model`, 404 "No instance found for model …" while the
 *   model has no instance, else the fake mlx-lm.server's answer (a stream opened by `: keep-alive`).
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBodyText } from "../../src/shared/read-body-text.js";
import { createFakeMlxServer, type FakeMlxServer, type FakeMlxServerOptions } from "./mlx-lm-server.js";

export const EXO_MODEL = "mlx-community/Kimi-K2-Instruct-4bit";

export interface FakeExoOptions {
  /** Models exo has a card for; the first is the fake mlx-lm.server's. Default [EXO_MODEL]. */
  models?: string[];
  /** Models with an instance from the start. */
  placed?: string[];
  /** What the previews say: placements that fit (default), only exo's "No cycles found with sufficient memory", or no machine at all. */
  cluster?: "fits" | "too-small" | "empty";
  /** From /place_instance to the instance in state (default 30 ms). */
  placeMs?: number;
  /** The master accepts /place_instance but never creates the instance. */
  dropPlacement?: boolean;
  /** Silence before each keep-alive comment (exo: 10 s; default 10 ms). */
  keepAliveMs?: number;
  /** Options of the fake mlx-lm.server that writes the answers. */
  mlx?: FakeMlxServerOptions;
  /** Each model card's `context_length` (its config's max_position_embeddings); default 131072 for EXO_MODEL, else 0 as on a card without one. */
  contextLengths?: Record<string, number>;
}

export interface FakeExoRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface FakeExo {
  /** `http://127.0.0.1:PORT/v1` */
  readonly url: string;
  readonly requests: FakeExoRequest[];
  /** The models with an instance now. */
  placedModels(): string[];
  /** Deletes the model's instance (DELETE /instance/{id}, or its machines left). */
  removeInstance(model: string): void;
  /** The fake mlx-lm.server behind the chat completions. */
  readonly mlx: FakeMlxServer;
  close(): Promise<void>;
}

export async function createFakeExo(options: FakeExoOptions = {}): Promise<FakeExo> {
  const models = options.models ?? [EXO_MODEL];
  const keepAliveMs = options.keepAliveMs ?? 10;
  const instances = new Map<string, { id: string; model: string }>();
  let nextId = 0;
  const addInstance = (model: string) => {
    const id = `instance-${++nextId}`;
    instances.set(id, { id, model });
  };
  for (const model of options.placed ?? []) addInstance(model);
  const modelHasInstance = (model: string) => [...instances.values()].some((instance) => instance.model === model);
  const mlx = await createFakeMlxServer({ ...options.mlx, model: models[0], availableModels: models.slice(1), listedModels: models });
  const requests: FakeExoRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const server = createServer(async (req, res) => {
    const raw = await readBodyText(req, 16 * 1024 * 1024);
    const url = new URL(req.url ?? "/", "http://exo");
    let body: unknown;
    try {
      body = raw === "" ? undefined : JSON.parse(raw);
    } catch {
      body = raw;
    }
    requests.push({ method: req.method ?? "GET", path: `${url.pathname}${url.search}`, body });
    const route = `${req.method} ${url.pathname}`;
    const modelId = url.searchParams.get("model_id") ?? "";
    switch (route) {
      case "GET /v1/models":
      case "GET /models":
        return json(res, 200, {
          object: "list",
          data: models.map((id) => modelListModel(id, options.contextLengths?.[id] ?? (id === EXO_MODEL ? 131_072 : 0))),
        });
      case "GET /state/instances":
        return json(res, 200, Object.fromEntries([...instances.values()].map((instance) => [instance.id, taggedInstance(instance.id, instance.model)])));
      case "GET /instance/previews":
        return previews(res, modelId);
      case "POST /place_instance": {
        const params = body as { model_id?: string; sharding?: string; instance_meta?: string; min_nodes?: number };
        if (!models.includes(params?.model_id ?? "")) return httpError(res, 500, "Internal Server Error");
        if (!options.dropPlacement) later(options.placeMs ?? 30, () => addInstance(params.model_id!));
        return json(res, 200, { message: "Command received.", command_id: `command-${nextId}`, model_card: { model_id: params.model_id } });
      }
      case "GET /instance/await":
        return awaitInstance(res, modelId, Number(url.searchParams.get("timeout_seconds") ?? 0));
      case "POST /v1/chat/completions":
        return chatCompletions(req, res, raw, body);
      default:
        return httpError(res, 404, "Not Found");
    }
  });

  function previews(res: ServerResponse, model: string) {
    if (options.cluster === "empty") return json(res, 200, { previews: [] });
    if (!models.includes(model))
      return httpError(
        res,
        400,
        `Failed to load model card: 401 Client Error: Repository Not Found for url: https://huggingface.co/${model}/resolve/main/config.json`,
      );
    const failed = (sharding: string, meta: string, error: string) => ({
      model_id: model,
      sharding,
      instance_meta: meta,
      instance: null,
      memory_delta_by_node: null,
      error,
    });
    if (options.cluster === "too-small") {
      return json(res, 200, {
        previews: ["Pipeline", "Tensor"].flatMap((sharding) =>
          ["MlxRing", "MlxJaccl"].map((meta) => failed(sharding, meta, "No cycles found with sufficient memory")),
        ),
      });
    }
    return json(res, 200, {
      previews: [
        {
          model_id: model,
          sharding: "Pipeline",
          instance_meta: "MlxRing",
          instance: taggedInstance("preview", model),
          memory_delta_by_node: { "node-a": 300_000_000_000, "node-b": 300_000_000_000 },
          error: null,
        },
        failed("Pipeline", "MlxJaccl", "Requested RDMA (MlxJaccl) but no RDMA-connected cycles available"),
        failed("Tensor", "MlxRing", `Requested Tensor sharding but this model does not support tensor parallelism: ${model}`),
      ],
    });
  }

  function awaitInstance(res: ServerResponse, model: string, timeoutSeconds: number) {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "close", "x-accel-buffering": "no" });
    res.write(": keep-alive\n\n");
    const started = Date.now();
    let lastWrite = Date.now();
    const poll = setInterval(
      () => {
        const instance = [...instances.values()].find((candidate) => candidate.model === model);
        if (instance !== undefined) {
          res.end(`data: ${JSON.stringify({ type: "ready", instance: snakeInstance(instance.id, instance.model) })}\n\n`);
        } else if (timeoutSeconds > 0 && Date.now() - started >= timeoutSeconds * 1000) {
          res.end(`data: ${JSON.stringify({ type: "timeout", message: `No instance found for model ${model}` })}\n\n`);
        } else if (Date.now() - lastWrite >= keepAliveMs) {
          res.write(": keep-alive\n\n");
          lastWrite = Date.now();
          return;
        } else {
          return;
        }
        clearInterval(poll);
      },
      Math.min(5, keepAliveMs),
    );
    res.on("close", () => clearInterval(poll));
  }

  function chatCompletions(req: IncomingMessage, res: ServerResponse, raw: string, body: unknown) {
    const model = (body as { model?: unknown } | undefined)?.model;
    if (typeof model !== "string") {
      // FastAPI's own validation error: exo installs no handler for it.
      return json(res, 422, { detail: [{ type: "missing", loc: ["body", "model"], msg: "Field required", input: body }] });
    }
    if (!modelHasInstance(model)) return httpError(res, 404, `No instance found for model ${model}`);
    const stream = (body as { stream?: unknown }).stream === true;
    const upstream = httpRequest(`${mlx.url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" } }, (answer) => {
      res.writeHead(answer.statusCode ?? 500, { "content-type": stream ? "text/event-stream; charset=utf-8" : "application/json", connection: "close" });
      // exo's streams open with a keep-alive comment (with_sse_keepalive).
      if (stream && answer.statusCode === 200) res.write(": keep-alive\n\n");
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(raw);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    mlx,
    placedModels: () => [...instances.values()].map((instance) => instance.model),
    removeInstance(model) {
      for (const [id, instance] of instances) if (instance.model === model) instances.delete(id);
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await mlx.close();
    },
  };
}

/** One `/v1/models` entry as exo's `get_models` builds it (src/exo/api/main.py, types/api.py `ModelListModel`). */
function modelListModel(id: string, contextLength: number) {
  return {
    id,
    object: "model",
    created: 1767225600,
    owned_by: "exo",
    hugging_face_id: id,
    name: id.split("/").pop() ?? id,
    description: "",
    context_length: contextLength,
    tags: [],
    storage_size_megabytes: 562_000,
    supports_tensor: true,
    tasks: ["TextGeneration"],
    is_custom: false,
    family: "kimi",
    quantization: "4bit",
    base_model: "Kimi K2",
    capabilities: ["text", "thinking"],
    reasoning_dialect: "none",
  };
}

/** An instance as FastAPI returns it: tagged by class, fields camelCase (by_alias). */
function taggedInstance(id: string, model: string) {
  return {
    MlxRingInstance: {
      instanceId: id,
      shardAssignments: { modelId: model, runnerToShard: { "runner-a": {}, "runner-b": {} }, nodeToRunner: { "node-a": "runner-a", "node-b": "runner-b" } },
      hostsByNode: { "node-a": [{ ip: "10.0.0.1", port: 52416 }], "node-b": [{ ip: "10.0.0.2", port: 52416 }] },
      ephemeralPort: 52416,
    },
  };
}

/** The same instance as /instance/await writes it: model_dump_json() without by_alias, so snake_case. */
function snakeInstance(id: string, model: string) {
  return {
    MlxRingInstance: {
      instance_id: id,
      shard_assignments: {
        model_id: model,
        runner_to_shard: { "runner-a": {}, "runner-b": {} },
        node_to_runner: { "node-a": "runner-a", "node-b": "runner-b" },
      },
      hosts_by_node: { "node-a": [{ ip: "10.0.0.1", port: 52416 }], "node-b": [{ ip: "10.0.0.2", port: 52416 }] },
      ephemeral_port: 52416,
    },
  };
}

/** exo's HTTPException handler: `{"error": {"message", "type": <the status phrase>, "param": null, "code"}}`. */
function httpError(res: ServerResponse, status: number, message: string) {
  const phrase = { 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error" }[status] ?? "Error";
  json(res, status, { error: { message, type: phrase, param: null, code: status } });
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
