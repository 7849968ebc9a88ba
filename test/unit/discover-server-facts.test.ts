import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createServerFactsDiscovery, discoverServerFacts } from "../../src/backends/discover-server-facts.js";
import type { FactsTarget } from "../../src/backends/server-facts.js";
import { createFakeExo, EXO_MODEL } from "../fakes/fake-exo.js";
import {
  startFactsServer,
  startFakeLlamaServer,
  startFakeLmStudio,
  startFakeOllama,
  startFakeOpenRouter,
  startFakeVllm,
  startMisbehavingServer,
  type FakeFactsServer,
} from "../fakes/fake-facts-servers.js";
import { createFakeMlxServer } from "../fakes/mlx-lm-server.js";

const servers: Array<{ close(): Promise<void> }> = [];
async function started<T extends { close(): Promise<void> }>(server: Promise<T>): Promise<T> {
  const value = await server;
  servers.push(value);
  return value;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const target = (flavor: string, baseUrl: string, model?: string, headers: Record<string, string> = {}): FactsTarget => ({
  flavor,
  baseUrl,
  headers,
  ...(model === undefined ? {} : { model }),
});
const pathsOf = (server: FakeFactsServer) => server.requests.map((request) => `${request.method} ${request.path}`);

describe("llama-server and mallex's engine: GET /props", () => {
  it("reads one slot's context, the slot count and the model; not /v1/models' trained context", async () => {
    const llama = await started(
      startFakeLlamaServer({ nCtx: 8192, totalSlots: 4, modelPath: "/models/qwen3-coder-30b-q4_k_m.gguf", alias: "qwen3-coder", nCtxTrain: 262144 }),
    );
    expect(await discoverServerFacts(target("llama-server", llama.url, "qwen3-coder"))).toEqual({
      contextWindow: 8192,
      parallel: 4,
      model: "qwen3-coder",
      source: "llama-server GET /props",
    });
    // /props lives at the root, beside /v1.
    expect(pathsOf(llama)).toEqual(["GET /props"]);
  });

  it("names the path when no alias was given, and says when the answer came from mallex's engine", async () => {
    const engine = await started(startFakeLlamaServer({ nCtx: 32768, totalSlots: 1, modelPath: "/home/me/.mallex/models/qwen.gguf" }));
    expect(await discoverServerFacts(target("embedded", `${engine.url}/`))).toEqual({
      contextWindow: 32768,
      parallel: 1,
      model: "/home/me/.mallex/models/qwen.gguf",
      source: "mallex engine GET /props",
    });
  });

  it("in router mode asks for the profile's model without loading it; a model not loaded says nothing", async () => {
    const shape = { nCtx: 0, totalSlots: 0, modelPath: "none" };
    const router = await started(
      startFakeLlamaServer(shape, { loaded: { "qwen3-8b": { nCtx: 16384, totalSlots: 2, modelPath: "/m/qwen3-8b.gguf", alias: "qwen3-8b" } } }),
    );
    expect(await discoverServerFacts(target("llama-server", router.url, "qwen3-8b"))).toEqual({
      contextWindow: 16384,
      parallel: 2,
      model: "qwen3-8b",
      source: "llama-server GET /props?model=qwen3-8b&autoload=false",
    });
    expect(await discoverServerFacts(target("llama-server", router.url, "gemma-3-27b"))).toBeUndefined();
    expect(await discoverServerFacts(target("llama-server", router.url))).toBeUndefined();
    expect(pathsOf(router)).toEqual([
      "GET /props",
      "GET /props?model=qwen3-8b&autoload=false",
      "GET /props",
      "GET /props?model=gemma-3-27b&autoload=false",
      "GET /props",
    ]);
  });
});

describe("vLLM: GET /v1/models max_model_len", () => {
  it("reads max_model_len for the served name, and the base's for a LoRA adapter; parallel is not published", async () => {
    const vllm = await started(
      startFakeVllm({
        servedNames: ["qwen3-coder", "Qwen/Qwen3-Coder-30B-A3B-Instruct"],
        modelPath: "Qwen/Qwen3-Coder-30B-A3B-Instruct",
        maxModelLen: 65536,
        loras: ["sql-lora"],
      }),
    );
    expect(await discoverServerFacts(target("vllm", vllm.url, "qwen3-coder"))).toEqual({
      contextWindow: 65536,
      model: "qwen3-coder",
      source: "vllm GET /v1/models max_model_len",
    });
    expect(await discoverServerFacts(target("vllm", vllm.url, "sql-lora"))).toEqual({
      contextWindow: 65536,
      model: "sql-lora",
      source: "vllm GET /v1/models max_model_len",
    });
    expect(await discoverServerFacts(target("vllm", vllm.url))).toEqual({
      contextWindow: 65536,
      model: "qwen3-coder",
      source: "vllm GET /v1/models max_model_len",
    });
  });

  it("ignores a max_model_len that cannot be true", async () => {
    for (const maxModelLen of [100, 4096.5, -1, 2 ** 40]) {
      const vllm = await started(startFakeVllm({ servedNames: ["m"], modelPath: "m", maxModelLen }));
      expect(await discoverServerFacts(target("vllm", vllm.url, "m")), String(maxModelLen)).toEqual({
        model: "m",
        source: "vllm GET /v1/models max_model_len",
      });
    }
  });
});

describe("LM Studio: its REST API", () => {
  const models = [
    { id: "qwen/qwen3-coder-30b", maxContextLength: 262144, loadedContextLength: 32768 },
    { id: "google/gemma-3-27b", maxContextLength: 131072 },
    { id: "text-embedding-nomic-embed-text-v1.5", type: "embeddings" as const, maxContextLength: 2048, loadedContextLength: 2048 },
  ];

  it("reads the context a loaded model was loaded with, not the most it supports", async () => {
    const lms = await started(startFakeLmStudio(models));
    expect(await discoverServerFacts(target("lmstudio", lms.url, "qwen/qwen3-coder-30b"))).toEqual({
      contextWindow: 32768,
      model: "qwen/qwen3-coder-30b",
      source: "lmstudio GET /api/v0/models loaded_context_length",
    });
    expect(pathsOf(lms)).toEqual(["GET /api/v0/models"]);
  });

  it("a model not loaded yet has no context, only its name; without a profile model the one loaded language model is read", async () => {
    const lms = await started(startFakeLmStudio(models));
    expect(await discoverServerFacts(target("lmstudio", lms.url, "google/gemma-3-27b"))).toEqual({
      model: "google/gemma-3-27b",
      source: "lmstudio GET /api/v0/models loaded_context_length",
    });
    expect(await discoverServerFacts(target("lmstudio", lms.url))).toMatchObject({ contextWindow: 32768, model: "qwen/qwen3-coder-30b" });
    expect(await discoverServerFacts(target("lmstudio", lms.url, "not/downloaded"))).toBeUndefined();
  });

  it("reads /api/v1/models when /api/v0 is not there (LM Studio answers it 200 with an error)", async () => {
    const lms = await started(startFakeLmStudio(models, "v1-only"));
    expect(await discoverServerFacts(target("lmstudio", lms.url, "qwen/qwen3-coder-30b"))).toEqual({
      contextWindow: 32768,
      model: "qwen/qwen3-coder-30b",
      source: "lmstudio GET /api/v1/models loaded_instances[].config.context_length",
    });
    expect(await discoverServerFacts(target("lmstudio", lms.url, "google/gemma-3-27b"))).toEqual({
      model: "google/gemma-3-27b",
      source: "lmstudio GET /api/v1/models loaded_instances[].config.context_length",
    });
    expect(pathsOf(lms).slice(0, 2)).toEqual(["GET /api/v0/models", "GET /api/v1/models"]);
  });
});

describe("Ollama: the context it really uses", () => {
  const models = {
    "qwen3:8b": { architecture: "qwen3", trainedContext: 40960, loadedContext: 8192 },
    "llama3.2:latest": { architecture: "llama", trainedContext: 131072, numCtx: 16384 },
    "tiny:latest": { architecture: "llama", trainedContext: 4096, numCtx: 32768 },
    "gemma3:27b": { architecture: "gemma3", trainedContext: 131072 },
  };

  it("a loaded model: /api/ps context_length", async () => {
    const ollama = await started(startFakeOllama(models));
    expect(await discoverServerFacts(target("ollama", ollama.url, "qwen3:8b"))).toEqual({
      contextWindow: 8192,
      model: "qwen3:8b",
      source: "ollama GET /api/ps context_length",
    });
    expect(pathsOf(ollama)).toEqual(["GET /api/ps"]);
  });

  it("not loaded: the Modelfile's num_ctx, capped at the trained context; `llama3.2` is `llama3.2:latest`", async () => {
    const ollama = await started(startFakeOllama(models));
    expect(await discoverServerFacts(target("ollama", ollama.url, "llama3.2"))).toEqual({
      contextWindow: 16384,
      model: "llama3.2",
      source: "ollama POST /api/show parameters num_ctx",
    });
    expect(await discoverServerFacts(target("ollama", ollama.url, "tiny"))).toMatchObject({ contextWindow: 4096 });
    expect(ollama.requests.filter((request) => request.path === "/api/show").map((request) => request.body)).toEqual([
      { model: "llama3.2" },
      { model: "tiny" },
    ]);
  });

  it("not loaded and no num_ctx: Ollama picks the context at load time, clamped to the trained context, so that is said as a provisional ceiling; an unknown model says nothing", async () => {
    const ollama = await started(startFakeOllama(models));
    expect(await discoverServerFacts(target("ollama", ollama.url, "gemma3:27b"))).toEqual({
      contextWindow: 131072,
      model: "gemma3:27b",
      source: "ollama POST /api/show model_info gemma3.context_length (not loaded: Ollama picks its context, at most this, when it loads the model)",
      provisional: true,
    });
    expect(await discoverServerFacts(target("ollama", ollama.url, "missing:1b"))).toBeUndefined();
    expect(await discoverServerFacts(target("ollama", ollama.url))).toBeUndefined();
  });
});

describe("mlx-lm.server 0.32: the model's config.json and the decode batch default", () => {
  let root: string;
  const REPO = "mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit";
  const writeConfig = (folder: string, config: unknown) => {
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "config.json"), JSON.stringify(config));
  };
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "mallex-facts-"));
    const repo = join(root, "hub", `models--${REPO.replace("/", "--")}`);
    writeConfig(join(repo, "snapshots", "0000old"), { model_type: "qwen3_moe", max_position_embeddings: 40960 });
    writeConfig(join(repo, "snapshots", "5f2c1a9"), { model_type: "qwen3_moe", max_position_embeddings: 262144, num_hidden_layers: 48 });
    mkdirSync(join(repo, "refs"), { recursive: true });
    writeFileSync(join(repo, "refs", "main"), "5f2c1a9");
    writeConfig(join(root, "hf-home", "hub", "models--mlx-community--gemma-3-27b-it-4bit", "snapshots", "abc"), {
      model_type: "gemma3",
      text_config: { max_position_embeddings: 131072 },
    });
    writeConfig(join(root, "local-model"), { max_position_embeddings: 32768 });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const discover = (env: Record<string, string>) => createServerFactsDiscovery({ place: () => ({ env, homedir: join(root, "home"), cwd: root }) });

  it("reads max_position_embeddings from the snapshot refs/main names, and parallel from --decode-concurrency's default", async () => {
    const facts = await discover({ HF_HUB_CACHE: join(root, "hub") })(target("mlx-lm", "http://127.0.0.1:1/v1", REPO));
    const file = join(root, "hub", `models--${REPO.replace("/", "--")}`, "snapshots", "5f2c1a9", "config.json");
    expect(facts).toEqual({
      contextWindow: 262144,
      parallel: 32,
      model: REPO,
      source: `mlx-lm: ${file} max_position_embeddings; mlx-lm 0.32 --decode-concurrency default`,
    });
  });

  it("text_config's for a nested config, under HF_HOME/hub; a local model folder's", async () => {
    expect(await discover({ HF_HOME: join(root, "hf-home") })(target("mlx-lm", "http://127.0.0.1:1/v1", "mlx-community/gemma-3-27b-it-4bit"))).toMatchObject({
      contextWindow: 131072,
      parallel: 32,
    });
    expect(await discover({})(target("mlx-lm", "http://127.0.0.1:1/v1", "./local-model"))).toMatchObject({
      contextWindow: 32768,
      parallel: 32,
      model: "./local-model",
    });
  });

  it("a model not on this machine: only the batch default", async () => {
    expect(await discover({ HF_HUB_CACHE: join(root, "hub") })(target("mlx-lm", "http://127.0.0.1:1/v1", "mlx-community/Not-Downloaded-4bit"))).toEqual({
      parallel: 32,
      model: "mlx-community/Not-Downloaded-4bit",
      source: "mlx-lm 0.32 --decode-concurrency default",
    });
    expect(await discover({})(target("mlx-lm", "http://127.0.0.1:1/v1"))).toEqual({ parallel: 32, source: "mlx-lm 0.32 --decode-concurrency default" });
  });
});

describe("exo: GET /v1/models context_length", () => {
  it("reads the model card's context; a card without one says only the name", async () => {
    const exo = await started(createFakeExo({ models: [EXO_MODEL, "mlx-community/Llama-3.2-1B-Instruct-4bit"] }));
    expect(await discoverServerFacts(target("exo", exo.url, EXO_MODEL))).toEqual({
      contextWindow: 131072,
      model: EXO_MODEL,
      source: "exo GET /v1/models context_length",
    });
    expect(await discoverServerFacts(target("exo", exo.url, "mlx-community/Llama-3.2-1B-Instruct-4bit"))).toEqual({
      model: "mlx-community/Llama-3.2-1B-Instruct-4bit",
      source: "exo GET /v1/models context_length",
    });
    expect(await discoverServerFacts(target("exo", exo.url, "unknown/model"))).toBeUndefined();
  });
});

describe("openrouter and generic: a context field in /v1/models, if any", () => {
  it("OpenRouter's context_length, asked with the backend's headers", async () => {
    const openrouter = await started(
      startFakeOpenRouter([
        { id: "qwen/qwen3-coder", contextLength: 262144 },
        { id: "z-ai/glm-4.6", contextLength: 202752 },
      ]),
    );
    const facts = await discoverServerFacts(target("openrouter", openrouter.url, "z-ai/glm-4.6", { authorization: "Bearer sk-or-test" }));
    expect(facts).toEqual({ contextWindow: 202752, model: "z-ai/glm-4.6", source: "openrouter GET /v1/models context_length" });
    expect(openrouter.requests[0]?.headers.authorization).toBe("Bearer sk-or-test");
  });

  it("a generic server that is a llama-server: meta.n_ctx, never n_ctx_train; one that publishes no context: the name only", async () => {
    const llama = await started(startFakeLlamaServer({ nCtx: 2048, totalSlots: 2, modelPath: "/m/tiny.gguf", nCtxTrain: 4096 }));
    expect(await discoverServerFacts(target("generic", llama.url))).toEqual({
      contextWindow: 2048,
      model: "/m/tiny.gguf",
      source: "generic GET /v1/models meta.n_ctx",
    });
    const mlx = await started(createFakeMlxServer());
    expect(await discoverServerFacts(target("generic", mlx.url, "mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit"))).toEqual({
      model: "mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit",
      source: "generic GET /v1/models",
    });
    expect(await discoverServerFacts(target("generic", mlx.url, "other/model"))).toBeUndefined();
  });
});

describe("a server that does not say: undefined, never a throw", () => {
  const HTTP_FLAVORS = ["llama-server", "embedded", "vllm", "lmstudio", "ollama", "exo", "openrouter", "generic"];

  it.each(["not-found", "garbage"] as const)("answers %s", async (kind) => {
    const server = await started(startMisbehavingServer(kind));
    for (const flavor of HTTP_FLAVORS) expect(await discoverServerFacts(target(flavor, server.url, "m")), flavor).toBeUndefined();
  });

  it("JSON of another shape", async () => {
    const server = await started(startFactsServer(() => ({ body: { data: "nope", models: 3, default_generation_settings: null, total_slots: "4" } })));
    for (const flavor of HTTP_FLAVORS) expect(await discoverServerFacts(target(flavor, server.url, "m")), flavor).toBeUndefined();
  });

  it("never answers: the time limit ends the wait, as the caller's abort does", async () => {
    const server = await started(startMisbehavingServer("hang"));
    const discover = createServerFactsDiscovery({ timeoutMs: 200 });
    for (const flavor of HTTP_FLAVORS) expect(await discover(target(flavor, server.url, "m")), flavor).toBeUndefined();
    const controller = new AbortController();
    const pending = discoverServerFacts(target("llama-server", server.url), controller.signal);
    setTimeout(() => controller.abort(), 20);
    expect(await pending).toBeUndefined();
  });

  it("sends headers and then stalls: the body read times out too", async () => {
    const stalling = await started(startStallingServer('{"default_generation_settings": {"n_ctx": 81'));
    expect(await createServerFactsDiscovery({ timeoutMs: 200 })(target("llama-server", stalling.url))).toBeUndefined();
  });

  it("a port nothing listens on", async () => {
    const port = await freePort();
    for (const flavor of HTTP_FLAVORS) expect(await discoverServerFacts(target(flavor, `http://127.0.0.1:${port}/v1`, "m")), flavor).toBeUndefined();
  });

  it("a flavor with no reader asks nothing", async () => {
    const server = await started(startMisbehavingServer("not-found"));
    expect(await discoverServerFacts(target("anthropic", server.url))).toBeUndefined();
    expect(server.requests).toEqual([]);
  });
});

/** A server that sends a 200's headers and the start of a body, then nothing more. */
async function startStallingServer(start: string): Promise<{ url: string; close(): Promise<void> }> {
  const http = createHttpServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write(start);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    async close() {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
