/**
 * The dashboard's pool panel without a browser: each pool server's breaker state, requests, queue and
 * sessions in the feed's snapshot (and /ui/api/snapshot), and a `pools` message on /ui/events when a
 * server's state changes — over a pool of two fake mlx-lm.servers behind the proxy.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createBackendPools } from "../src/backends/pool/backend-pool.js";
import { resolveBackends } from "../src/backends/resolve-backends.js";
import { createBackendQueues } from "../src/backends/backend-queue.js";
import { createDashboardFeed, type DashboardMessage } from "../src/observe/dashboard/dashboard-feed.js";
import { summarizePools, type PoolSummary } from "../src/observe/dashboard/pool-summary.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { createTestProxy, defaultTable } from "./helpers/test-proxy.js";

let servers: FakeMlxServer[] = [];
let closers: Array<() => void> = [];
afterEach(async () => {
  for (const close of closers) close();
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
  closers = [];
});

/** A proxy whose local backend is a pool of two fake servers, and a dashboard feed that reads its pools. */
async function pooledDashboard(maxInFlight = 4) {
  servers = [await createFakeMlxServer(), await createFakeMlxServer()];
  const urls = servers.map((s) => s.url);
  const backends = resolveBackends(defaultTable, {}, { backendUrls: urls });
  const queues = createBackendQueues(() => ({ maxInFlight, maxWaiting: 16 }));
  const pools = createBackendPools(backends, { log: () => {}, probeIntervalMs: 0 });
  const feed = createDashboardFeed({
    table: defaultTable,
    pools: () => summarizePools(pools, queues),
    maxRequests: 10,
    maxExplanations: 10,
    maxClients: 2,
    pollMs: 20,
    date: () => new Date(),
  });
  closers.push(() => pools.close());
  const proxy = createTestProxy({ ctx: { backends, queues, pools, dashboard: { feed, assetsDir: "/nowhere", showPrompts: false, heartbeatMs: 1_000 } } });
  return { proxy, feed, pools, urls };
}

/** The pool a request of the default tier goes to (every local backend is pooled by --backend-url given twice). */
const used = () => defaultTable.profiles[defaultTable.tiers.medium.profile]!.backend;
const poolOf = (pools: PoolSummary[]) => pools.find((pool) => pool.backend === used())!;

const turn = (session: string) => ({ model: "claude-opus-4-8", max_tokens: 16, messages: [{ role: "user", content: `Hello from ${session}.` }] });

describe("the dashboard's pools", () => {
  it("the snapshot lists each pool server: closed, no request, and the sessions placed on it", async () => {
    const { proxy, feed, urls } = await pooledDashboard();
    expect(feed.snapshot().pools.map((pool) => pool.backend)).toContain(used());
    expect(poolOf(feed.snapshot().pools)).toEqual({
      backend: used(),
      servers: urls.map((url) => ({ url, state: "closed", requests: 0, inFlight: 0, waiting: 0, sessions: 0 })),
    });
    for (const session of ["s1", "s2", "s3"])
      expect((await proxy.post("/v1/messages", turn(session), { "x-claude-code-session-id": session })).status).toBe(200);
    expect(poolOf(feed.snapshot().pools).servers.map((s) => [s.sessions, s.requests])).toEqual([
      [2, 0],
      [1, 0],
    ]);
    // The same through the route the page and `mallex status` read.
    const snapshot = (await (await proxy.fetch("/ui/api/snapshot")).json()) as Extract<DashboardMessage, { type: "snapshot" }>;
    expect(poolOf(snapshot.pools).servers.map((s) => s.sessions)).toEqual([2, 1]);
  });

  it("counts the requests in flight on a server and those waiting in its queue", async () => {
    const { proxy, feed, urls } = await pooledDashboard(1);
    servers[0]!.wedge("generation");
    const client = new AbortController();
    const send = () =>
      proxy
        .fetch("/v1/messages", {
          method: "POST",
          signal: client.signal,
          headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-claude-code-session-id": "slow" },
          body: JSON.stringify(turn("slow")),
        })
        .catch(() => undefined);
    const pending = [send(), send()];
    await expect
      .poll(() => poolOf(feed.snapshot().pools).servers[0])
      .toEqual({ url: urls[0], state: "closed", requests: 2, inFlight: 1, waiting: 1, sessions: 1 });
    client.abort();
    await Promise.all(pending);
    await expect.poll(() => poolOf(feed.snapshot().pools).servers[0]!.requests).toBe(0);
  });

  it("sends a pools message on /ui/events when a server's fake dies and its breaker opens", async () => {
    const { proxy, feed, urls } = await pooledDashboard();
    const heard: DashboardMessage[] = [];
    closers.push(feed.subscribe((message) => heard.push(message))!);
    await servers[1]!.close();
    // New sessions alternate between the servers: those placed on the dead one fail over, and count against it.
    for (const session of ["a", "b", "c", "d"])
      expect((await proxy.post("/v1/messages", turn(session), { "x-claude-code-session-id": session })).status).toBe(200);
    const last = () => heard.flatMap((m) => (m.type === "pools" ? [poolOf(m.pools)] : [])).at(-1);
    await expect
      .poll(() => last()?.servers.map((s) => [s.url, s.state]))
      .toEqual([
        [urls[0], "closed"],
        [urls[1], "open"],
      ]);
  });
});
