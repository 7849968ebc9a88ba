import { afterEach, describe, expect, it } from "vitest";
import { createBackendPools, type BackendPools } from "../../src/backends/pool/backend-pool.js";
import { pickPoolServer, POOL_BALANCE_DEFAULTS, type PoolServerView } from "../../src/backends/pool/pick-pool-server.js";
import { resolveBackends, type RuntimeBackend } from "../../src/backends/resolve-backends.js";
import type { RoutingTable } from "../../src/compile/routing-table.js";

const server = (load: number, sessions = 0, healthy = true): PoolServerView => ({ load, sessions, healthy });

describe("pickPoolServer", () => {
  it("puts a new session on the least loaded healthy server, fewer sessions first, then the first listed", () => {
    expect(pickPoolServer([server(2), server(1), server(3)], undefined, POOL_BALANCE_DEFAULTS)).toBe(1);
    expect(pickPoolServer([server(0, 3), server(0, 1), server(0, 1)], undefined, POOL_BALANCE_DEFAULTS)).toBe(1);
    expect(pickPoolServer([server(0, 0, false), server(5)], undefined, POOL_BALANCE_DEFAULTS)).toBe(1);
  });

  it("keeps a session on its server until the load is clearly skewed, by both margins", () => {
    const balance = { absolute: 4, relative: 2 };
    expect(pickPoolServer([server(3), server(0)], 0, balance)).toBe(0); // 3 more: under the absolute margin
    expect(pickPoolServer([server(10), server(7)], 0, balance)).toBe(0); // 3 more, and not twice as many
    expect(pickPoolServer([server(12), server(7)], 0, balance)).toBe(0); // 5 more, but not twice as many
    expect(pickPoolServer([server(4), server(0)], 0, balance)).toBe(1);
    expect(pickPoolServer([server(15), server(7)], 0, balance)).toBe(1);
  });

  it("moves a session off a server that is cooling down or just failed this request", () => {
    expect(pickPoolServer([server(0, 0, false), server(3)], 0, POOL_BALANCE_DEFAULTS)).toBe(1);
    expect(pickPoolServer([server(0), server(3)], 0, POOL_BALANCE_DEFAULTS, 0)).toBe(1);
  });

  it("finds none when no healthy server is left", () => {
    expect(pickPoolServer([server(0, 0, false), server(0)], undefined, POOL_BALANCE_DEFAULTS, 1)).toBeUndefined();
    expect(pickPoolServer([], undefined, POOL_BALANCE_DEFAULTS)).toBeUndefined();
  });
});

describe("backend pools", () => {
  const backend: RuntimeBackend = { name: "mlx", kind: "openai", flavor: "mlx-lm", headers: {}, baseUrl: "http://a/v1", urls: ["http://a/v1", "http://b/v1"] };
  let pools: BackendPools | undefined;
  afterEach(() => pools?.close());

  function setUp(probe?: (url: string) => Promise<boolean>) {
    const clock = { t: 0 };
    const logs: string[] = [];
    pools = createBackendPools(
      { mlx: backend, one: { ...backend, name: "one", urls: undefined } },
      { log: (line) => logs.push(line), breaker: { now: () => clock.t }, probeIntervalMs: probe ? 5 : 0, ...(probe ? { probe } : {}) },
    );
    return { pool: pools.for("mlx")!, clock, logs };
  }

  it("pools only the backends with several servers, each server with the backend's settings", () => {
    const { pool } = setUp();
    expect(pools!.for("one")).toBeUndefined();
    expect(pool.backendFor("http://b/v1")).toMatchObject({ name: "mlx", flavor: "mlx-lm", baseUrl: "http://b/v1" });
  });

  it("keeps each session on its server and spreads new ones", () => {
    const { pool } = setUp();
    expect(["s1", "s2", "s3", "s4"].map((s) => pool.pick(s))).toEqual(["http://a/v1", "http://b/v1", "http://a/v1", "http://b/v1"]);
    expect(["s2", "s1", "s2"].map((s) => pool.pick(s))).toEqual(["http://b/v1", "http://a/v1", "http://b/v1"]);
  });

  it("sends a new session where fewer requests are counted, and keeps the count until released", () => {
    const { pool } = setUp();
    const done = pool.count("http://a/v1");
    expect(pool.pick("new")).toBe("http://b/v1");
    expect(pool.stats().map((s) => s.load)).toEqual([1, 0]);
    done();
    done();
    expect(pool.stats().map((s) => s.load)).toEqual([0, 0]);
  });

  it("cools a failing server down, moves its sessions, and takes it back after the cool-down", () => {
    const { pool, clock, logs } = setUp();
    expect(pool.pick("s1")).toBe("http://a/v1");
    pool.begin("http://a/v1").end({ ok: false });
    pool.begin("http://a/v1").end({ ok: false });
    expect(pool.stats().map((s) => s.state)).toEqual(["open", "closed"]);
    expect(pool.pick("s1")).toBe("http://b/v1");
    expect(logs.join("\n")).toMatch(/server http:\/\/a\/v1 failed 2 times in a row; its sessions move/);
    clock.t += 10_000;
    expect(pool.stats()[0]!.state).toBe("half-open");
    expect(pool.pick("fresh")).toBe("http://a/v1");
    pool.begin("http://a/v1").end({ ok: true });
    expect(pool.stats()[0]!.state).toBe("closed");
    expect(pool.healthy()).toBe(true);
  });

  it("follows the backend's pool: settings (allowed_fails, cooldown_s, move_margin, move_ratio) over the defaults", () => {
    const clock = { t: 0 };
    const configured: RuntimeBackend = { ...backend, pool: { allowedFails: 3, cooldownMs: 500, probeIntervalMs: 0, moveMargin: 1, moveRatio: 1 } };
    pools = createBackendPools({ mlx: configured }, { log: () => {}, breaker: { now: () => clock.t } });
    const pool = pools.for("mlx")!;
    for (let i = 0; i < 2; i++) pool.begin("http://a/v1").end({ ok: false });
    expect(pool.stats()[0]!.state).toBe("closed");
    pool.begin("http://a/v1").end({ ok: false });
    expect(pool.stats()[0]!.state).toBe("open");
    clock.t += 499;
    expect(pool.stats()[0]!.state).toBe("open");
    clock.t += 1;
    expect(pool.stats()[0]!.state).toBe("half-open");
    pool.begin("http://a/v1").end({ ok: true });
    // One request more than the other server is enough to move a session (the defaults want 4, and twice as many).
    expect(pool.pick("s1")).toBe("http://a/v1");
    const busy = pool.count("http://a/v1");
    expect(pool.pick("s1")).toBe("http://b/v1");
    busy();
    expect(pool.stats().map((s) => s.sessions)).toEqual([0, 1]);
  });

  it("keeps a backend's pool: settings when --backend-url, given more than once, names its servers instead", () => {
    const pool = { allowedFails: 5, cooldownMs: 1_000, probeIntervalMs: 0, moveMargin: 2, moveRatio: 1.5 };
    const table = {
      backends: { mlx: { kind: "openai", flavor: "mlx-lm", baseUrl: "http://x/v1", urls: ["http://x/v1", "http://y/v1"], headers: {}, pool } },
    } as unknown as RoutingTable;
    expect(resolveBackends(table, {}).mlx).toMatchObject({ urls: ["http://x/v1", "http://y/v1"], pool });
    expect(resolveBackends(table, {}, { backendUrls: ["http://a/v1", "http://b/v1"] }).mlx).toMatchObject({ urls: ["http://a/v1", "http://b/v1"], pool });
  });

  it("is unhealthy when every server cools down", () => {
    const { pool } = setUp();
    for (const url of pool.urls) for (let i = 0; i < 2; i++) pool.begin(url).end({ ok: false });
    expect(pool.healthy()).toBe(false);
    expect(pool.pick("s1")).toBeUndefined();
  });

  it("probes a cooling server and closes its breaker once it answers", async () => {
    let answers = false;
    const asked: string[] = [];
    const { pool, logs } = setUp(async (url) => {
      asked.push(url);
      return answers;
    });
    pool.begin("http://a/v1").end({ ok: false });
    pool.begin("http://a/v1").end({ ok: false });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(asked.length).toBeGreaterThan(0);
    expect(pool.stats()[0]!.state).toBe("open");
    answers = true;
    await expect.poll(() => pool.stats()[0]!.state).toBe("closed");
    expect(logs.at(-1)).toBe("backend mlx: server http://a/v1 answers again");
    const probes = asked.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(asked.length).toBe(probes);
  });
});
