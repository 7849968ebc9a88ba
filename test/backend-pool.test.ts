/**
 * A backend pool over several fake mlx-lm.servers: every turn of a session on one server, new
 * sessions spread, a server that dies costs no request that had not started, it cools down and comes
 * back once its probe answers, and each server serves its queue one request at a time.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createBackendPools } from "../src/backends/pool/backend-pool.js";
import { probeServer } from "../src/backends/pool/probe-server.js";
import { resolveBackends } from "../src/backends/resolve-backends.js";
import { createBackendQueues } from "../src/backends/backend-queue.js";
import { createFakeMlxServer, type FakeMlxServer, type FakeRequestRecord } from "./fakes/mlx-lm-server.js";
import { createTestProxy, defaultTable, type TestProxy } from "./helpers/test-proxy.js";

const SESSION = "x-claude-code-session-id";
let servers: FakeMlxServer[] = [];
let proxies: TestProxy[] = [];

afterEach(async () => {
  for (const proxy of proxies) proxy.ctx.pools?.close();
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
  proxies = [];
});

async function fakes(count: number, options: Parameters<typeof createFakeMlxServer>[0] = {}): Promise<FakeMlxServer[]> {
  const started = await Promise.all(Array.from({ length: count }, () => createFakeMlxServer(options)));
  servers.push(...started);
  return started;
}

function pooledProxy(urls: string[], options: { maxInFlight?: number; maxWaiting?: number; probeIntervalMs?: number } = {}): TestProxy {
  const backends = resolveBackends(defaultTable, {}, { backendUrls: urls });
  const logs: string[] = [];
  const proxy = createTestProxy({
    ctx: {
      backends,
      queues: createBackendQueues(() => ({ maxInFlight: options.maxInFlight ?? 4, maxWaiting: options.maxWaiting ?? 16 })),
      pools: createBackendPools(backends, { log: (line) => logs.push(line), probe: probeServer, probeIntervalMs: options.probeIntervalMs ?? 0 }),
    },
  });
  // The pools' lines go to the proxy's log like everything else.
  const pushed = proxy.logs;
  Object.defineProperty(proxy, "logs", { get: () => [...pushed, ...logs] });
  proxies.push(proxy);
  return proxy;
}

/** A short local turn of `session`: its first user message names the session, so the fakes' records say whose it was. */
function turn(proxy: TestProxy, session: string | undefined, n: number) {
  const messages: Array<{ role: string; content: string }> = [{ role: "user", content: `Say hello for ${session ?? "anonymous"}.` }];
  for (let i = 1; i < n; i++) messages.push({ role: "assistant", content: "Hello." }, { role: "user", content: `Turn ${i + 1}.` });
  return proxy.post("/v1/messages", { model: "claude-opus-4-8", max_tokens: 64, messages }, session === undefined ? {} : { [SESSION]: session });
}

const generations = (server: FakeMlxServer) => server.requests.filter((r) => r.path.startsWith("/v1/chat/completions"));
const sessionOf = (record: FakeRequestRecord) => /for (\w+)\./.exec(JSON.stringify(record.body))?.[1];
/** The sessions each server saw, in order. */
const placement = (all: FakeMlxServer[]) => all.map((server) => generations(server).map(sessionOf));

describe("backend pool", () => {
  it("keeps every turn of a session on one server and spreads new sessions across the servers", async () => {
    const all = await fakes(2);
    const proxy = pooledProxy(all.map((s) => s.url));
    for (let n = 1; n <= 3; n++) {
      for (const session of ["s1", "s2", "s3", "s4"]) expect((await turn(proxy, session, n)).status).toBe(200);
    }
    const [a, b] = placement(all);
    expect(new Set(a)).toEqual(new Set(["s1", "s3"]));
    expect(new Set(b)).toEqual(new Set(["s2", "s4"]));
    expect(a).toHaveLength(6);
    // The log line names the server that answered.
    expect(proxy.logs.filter((line) => line.includes(` on ${all[1]!.url}`))).toHaveLength(6);
  });

  it("keeps a conversation without a session id on one server by its prefix", async () => {
    const all = await fakes(2);
    const proxy = pooledProxy(all.map((s) => s.url));
    for (let n = 1; n <= 3; n++) {
      expect((await turn(proxy, undefined, n)).status).toBe(200);
      expect((await turn(proxy, "other", n)).status).toBe(200);
    }
    const counts = placement(all).map((sessions) => sessions.length);
    expect(counts).toEqual([3, 3]);
    expect(placement(all).map((sessions) => new Set(sessions).size)).toEqual([1, 1]);
  });

  it("moves the sessions of a server that dies, with no error for requests that had not started", async () => {
    const all = await fakes(2);
    const proxy = pooledProxy(all.map((s) => s.url));
    for (const session of ["s1", "s2", "s3", "s4"]) expect((await turn(proxy, session, 1)).status).toBe(200);
    await all[0]!.close();
    for (let n = 2; n <= 3; n++) {
      for (const session of ["s1", "s2", "s3", "s4"]) expect((await turn(proxy, session, n)).status).toBe(200);
    }
    // s1 and s3 lived on the first server: their later turns were answered by the second.
    expect(placement(all)[1]).toEqual(["s2", "s4", "s1", "s2", "s3", "s4", "s1", "s2", "s3", "s4"]);
    expect(proxy.logs.join("\n")).toMatch(new RegExp(`${all[0]!.url} failed before answering .*; trying another server`));
    expect(proxy.logs.join("\n")).toMatch(new RegExp(`server ${all[0]!.url} failed 2 times in a row; its sessions move`));
    expect(proxy.logs.join("\n")).not.toMatch(/internal error/);
  });

  it("with every server cooling down, answers 503 with retry and the wait until the first is back: waiting helps there", async () => {
    const all = await fakes(2);
    const proxy = pooledProxy(all.map((s) => s.url));
    await Promise.all(all.map((server) => server.close()));
    let response: Response | undefined;
    let body: { error: { type: string; message: string } } | undefined;
    for (let n = 0; n < 6 && !body?.error.message.includes("cooling down"); n++) {
      response = await turn(proxy, `s${n}`, 1);
      body = (await response.json()) as typeof body;
    }
    expect(body?.error.message).toBe(
      `No backend can serve this request: medium (qwen3-coder-30b): every server of backend mlx failed and is cooling down (${all.map((s) => s.url).join(", ")}).`,
    );
    expect({ status: response?.status, type: body?.error.type, retry: response?.headers.get("x-should-retry") }).toEqual({
      status: 503,
      type: "api_error",
      retry: "true",
    });
    // POOL_DEFAULTS.coolDownMs: 10 s, counted from each server's second failure.
    expect(Number(response?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(response?.headers.get("retry-after"))).toBeLessThanOrEqual(10);
    expect(proxy.logs.join("\n")).not.toMatch(/internal error/);
  });

  it("cools a dead server down, shows it in /metrics, and takes it back once its probe answers", async () => {
    const all = await fakes(2);
    const [a, b] = all as [FakeMlxServer, FakeMlxServer];
    const proxy = pooledProxy([a.url, b.url], { probeIntervalMs: 20 });
    await a.close();
    for (const session of ["s1", "s2", "s3"]) expect((await turn(proxy, session, 1)).status).toBe(200);
    expect(placement(all)[1]).toEqual(["s1", "s2", "s3"]);
    const metrics = await (await proxy.fetch("/metrics")).text();
    expect(metrics).toContain(`mallex_pool_server_state{backend="mlx",server="${a.url}",state="open"} 1`);
    expect(metrics).toContain(`mallex_pool_server_state{backend="mlx",server="${b.url}",state="closed"} 1`);

    // The same server comes back on its port: the probe sees it well before its 10 s cool-down ends.
    const revived = await createFakeMlxServer({ port: a.port });
    servers.push(revived);
    await expect.poll(() => proxy.logs.some((line) => line === `backend mlx: server ${a.url} answers again`), { timeout: 2_000 }).toBe(true);
    expect(revived.requests.some((r) => r.method === "GET" && r.path === "/v1/models")).toBe(true);
    // New sessions go to the emptier server again.
    for (const session of ["s4", "s5"]) expect((await turn(proxy, session, 1)).status).toBe(200);
    expect(generations(revived).map(sessionOf)).toEqual(["s4", "s5"]);
  });

  it("queues a server's requests beyond its concurrency, in order, and shows the queue in /metrics", async () => {
    const all = await fakes(2, { tokenDelayMs: 40 });
    const proxy = pooledProxy(
      all.map((s) => s.url),
      { maxInFlight: 1 },
    );
    const answers = [1, 2, 3].map((n) => turn(proxy, "s1", n));
    await expect.poll(() => generations(all[0]!).length).toBe(1);
    const metrics = await (await proxy.fetch("/metrics")).text();
    expect(metrics).toContain(`mallex_pool_server_queue_depth{backend="mlx",server="${all[0]!.url}"} 2`);
    expect(metrics).toContain(`mallex_pool_server_requests{backend="mlx",server="${all[0]!.url}"} 3`);
    expect((await Promise.all(answers)).map((r) => r.status)).toEqual([200, 200, 200]);
    // One at a time, in arrival order, all on the session's server.
    const served = generations(all[0]!);
    expect(
      served.map(
        (r) =>
          JSON.stringify(r.body)
            .match(/Turn \d/g)
            ?.at(-1) ?? "Turn 1",
      ),
    ).toEqual(["Turn 1", "Turn 2", "Turn 3"]);
    expect(generations(all[1]!)).toHaveLength(0);
  });

  it("passes a request its server's full queue refuses to another server, once, without holding it against the first", async () => {
    const all = await fakes(2, { tokenDelayMs: 40 });
    const proxy = pooledProxy(
      all.map((s) => s.url),
      { maxInFlight: 1, maxWaiting: 0 },
    );
    const answers = await Promise.all([1, 2].map((n) => turn(proxy, "s1", n)));
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(all.map((server) => generations(server).length)).toEqual([1, 1]);
    const metrics = await (await proxy.fetch("/metrics")).text();
    for (const server of all) expect(metrics).toContain(`mallex_pool_server_state{backend="mlx",server="${server.url}",state="closed"} 1`);
    // A third at once finds both queues full: the client hears it (529), no server is blamed.
    const three = await Promise.all([1, 2, 3].map((n) => turn(proxy, "s2", n)));
    expect(three.map((r) => r.status).sort()).toEqual([200, 200, 529]);
  });
});
