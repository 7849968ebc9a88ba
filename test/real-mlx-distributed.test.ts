/**
 * mlx distributed for real, on one machine: mallex's supervisor runs the kit's real `mlx.launch`
 * with the ring backend and a hostfile of two loopback ranks ({"ssh": "127.0.0.1"} runs a rank
 * locally, without ssh), each rank the real mlx_lm.server on the kit's Qwen2.5-Coder-0.5B MLX folder,
 * split by tensor parallelism and by layers (--pipeline). Rank 0 serves HTTP; rank 1 takes each
 * request from it and generates in lockstep. On 2 CPU cores this is slow (the launcher itself keeps
 * a core busy), so the answers are a few tokens; they must be the single-process server's, greedy.
 */
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, expect, it } from "vitest";
import { resolveBackends } from "../src/backends/resolve-backends.js";
import type { SupervisorPool } from "../src/backends/supervisor-pool.js";
import type { RoutingTable } from "../src/compile/routing-table.js";
import { SupervisorError } from "../src/supervisor/supervisor-error.js";
import type { SupervisorEvent } from "../src/supervisor/types.js";
import { compiledPool } from "./helpers/compiled-pool.js";
import { writeTree } from "./helpers/config-tree.js";
import { describeWithModelKit, kit } from "./helpers/model-kit.js";
import { createProcessCleanup } from "./helpers/process-cleanup.js";
import { childrenMatching, eventually, liveGroupMembers } from "./helpers/process-tree.js";
import { kitVenv, openBlasEnv, startRealMlxServer } from "./helpers/real-mlx-server.js";
import { createTestProxy } from "./helpers/test-proxy.js";

const LOOPBACK_RANKS = JSON.stringify([
  { ssh: "127.0.0.1", ips: ["127.0.0.1"] },
  { ssh: "127.0.0.1", ips: ["127.0.0.1"] },
]);
const ASK = [{ role: "user", content: "Write a Python function that adds two numbers." }];
const GREEDY = { messages: ASK, max_tokens: 8, temperature: 0 };

const processes = createProcessCleanup("mallex-real-distributed-");
afterEach(() => processes.cleanup());

/**
 * A port P with P + 1 free too: the ring's rank r listens on starting port + r, and two loopback
 * ranks on mlx.launch's default (32323) would collide with any other ring on this machine.
 */
async function freePortPair(): Promise<number> {
  const listen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(undefined));
      server.listen(port, "127.0.0.1", () => {
        const bound = (server.address() as { port: number }).port;
        server.close(() => resolve(bound));
      });
    });
  for (;;) {
    const first = await listen(0);
    if (first !== undefined && first < 65535 && (await listen(first + 1)) !== undefined) return first;
  }
}

interface Cluster {
  table: RoutingTable;
  pool: SupervisorPool;
  events: SupervisorEvent[];
  home: string;
  hostfile: string;
  ringPort: number;
}

async function cluster(options: { pipeline: boolean; model?: string }): Promise<Cluster> {
  const ringPort = await freePortPair();
  const dir = writeTree({ "hosts.json": LOOPBACK_RANKS });
  writeFileSync(
    join(dir, "mallex.yaml"),
    `backends:
  cluster:
    kind: openai
    flavor: mlx-lm
    # Layer by layer on 2 busy cores, mallex's first prompt takes longer than the default 30 s.
    timeout_s: 300
    supervise:
      command: "{venv}/bin/mlx_lm.server --model {model} --host {host} --port {port}"
      venv: ${JSON.stringify(kitVenv())}
      install: []
      readiness: { probe: generate, timeout_s: 400 }
      max_restarts: 0
      distributed: { hostfile: hosts.json, backend: ring, pipeline: ${options.pipeline}, launcher: "{venv}/bin/mlx.launch --starting-port ${ringPort}" }
profiles:
  coder:
    backend: cluster
    model: ${JSON.stringify(options.model ?? kit().mlx_model)}
    size: small
    context_window: 8192
    max_output_tokens: 8
    sampling: { temperature: 0 }
tiers:
  medium: { profile: coder }
routing:
  default_tier: medium
`,
  );
  const { table, pool, events, home, dir: treeDir } = compiledPool(dir, processes, 5000);
  return { table, pool, events, home, hostfile: join(treeDir, "hosts.json"), ringPort };
}

/** NAME=value pairs of a process's environment. */
function environ(pid: number): Record<string, string> {
  const pairs = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
  return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
}

async function chat(baseUrl: string, body: unknown): Promise<string> {
  const response = await fetch(`${baseUrl}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return (JSON.parse(text) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content;
}

/**
 * Ready, a request answered through mallex, rank 0's greedy answer the single process's, both ranks
 * local processes under the launcher that each ran every request, and stop leaving no process.
 */
async function servesLikeOneProcess(c: Cluster, single: string): Promise<void> {
  const proxy = createTestProxy({ table: c.table, ctx: { supervisors: c.pool, backends: resolveBackends(c.table, {}, { supervised: c.pool.backends }) } });
  const response = await proxy.post("/v1/messages", { model: "claude-sonnet-4-6", max_tokens: 8, messages: ASK });
  expect(response.status, await response.clone().text()).toBe(200);
  const message = (await response.json()) as { content: Array<{ type: string; text?: string }>; usage: { output_tokens: number } };
  expect(message.content[0]).toMatchObject({ type: "text", text: expect.stringMatching(/\S/) });
  expect(message.usage.output_tokens).toBeGreaterThan(0);

  const starting = c.events.find((e): e is Extract<SupervisorEvent, { type: "starting" }> => e.type === "starting")!;
  const ready = c.events.find((e): e is Extract<SupervisorEvent, { type: "ready" }> => e.type === "ready")!;
  expect(ready.baseUrl).toBe(`http://127.0.0.1:${starting.port}/v1`);
  expect(await chat(ready.baseUrl, GREEDY)).toBe(single);

  const supervisor = c.pool.all()[0]!;
  const launcher = supervisor.pid!;
  // mlx.launch runs each 127.0.0.1 rank as `bash -c '… exec mlx_lm.server …'`: the server is its child.
  const ranks = childrenMatching(launcher, "mlx_lm.server");
  expect(ranks).toHaveLength(2);
  // MLX_HOSTFILE names a file with the ring's addresses, rank r on the starting port + r.
  const ring = [[`127.0.0.1:${c.ringPort}`], [`127.0.0.1:${c.ringPort + 1}`]];
  // The OpenBLAS mallex preloads for mlx on Linux reaches both: a local rank inherits the launcher's environment.
  const preload = openBlasEnv().LD_PRELOAD;
  const seen = ranks
    .map((pid) => environ(pid))
    .map((env) => ({ rank: env.MLX_RANK, ring: JSON.parse(readFileSync(env.MLX_HOSTFILE!, "utf8")) as unknown, preload: env.LD_PRELOAD }));
  expect(seen.sort((a, b) => Number(a.rank) - Number(b.rank))).toEqual([
    { rank: "0", ring, preload },
    { rank: "1", ring, preload },
  ]);
  expect(liveGroupMembers(launcher).sort()).toEqual([launcher, ...ranks].sort());
  // Each rank logs its prompt cache once per request it generated: the readiness probe, mallex's
  // request and the greedy one, on both ranks.
  const log = readFileSync(join(c.home, "server.log"), "utf8");
  expect(log.match(/INFO - Prompt Cache: /g)).toHaveLength(6);

  await supervisor.stop();
  await eventually("the launcher and both ranks are gone", () => liveGroupMembers(launcher).length === 0, 15_000);
  expect(supervisor.state).toBe("stopped");
}

describeWithModelKit("mlx distributed for real: mlx.launch --backend ring, two loopback ranks of mlx_lm.server", () => {
  let single: string;
  beforeAll(async () => {
    const server = await startRealMlxServer();
    try {
      single = await chat(server.url, GREEDY);
    } finally {
      await server.stop();
    }
  }, 180_000);

  it("tensor parallel: ready, answers through mallex, the single process's greedy answer, both ranks in lockstep, stop leaves no process", async () => {
    await servesLikeOneProcess(await cluster({ pipeline: false }), single);
  }, 600_000);

  it("--pipeline (layers split between the ranks): the same", async () => {
    await servesLikeOneProcess(await cluster({ pipeline: true }), single);
  }, 600_000);

  it("a rank that fails (--pipeline on a folder without model.safetensors.index.json): the start fails quoting the ranks' error", async () => {
    // mlx_lm.convert writes the index; sharded_load reads it to find a pipeline stage's layers.
    const folder = mkdtempSync(join(tmpdir(), "mallex-no-index-"));
    for (const name of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"])
      symlinkSync(join(kit().mlx_model, name), join(folder, name));
    const c = await cluster({ pipeline: true, model: folder });
    const supervisor = c.pool.for(c.table.profiles.coder!);
    const error = await supervisor.ensureReady().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SupervisorError);
    // Both ranks' generation threads die at once. Rank 0's HTTP server may answer the readiness
    // probe ("generation thread died") before the launcher, seeing rank 1 gone, stops rank 0 and
    // exits 0 itself (whatever its ranks did): either way mallex quotes the error the ranks printed.
    const message = (error as Error).message;
    expect(message).toMatch(
      / (exited while starting \(code 0\): |did not become ready: it answered the test request with 404: generation thread died \(its output: )/,
    );
    expect(message).toContain(`No such file or directory: '${folder}/model.safetensors.index.json'`);
  }, 300_000);
});
