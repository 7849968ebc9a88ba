/**
 * The memory budget and the pools' cool-downs in the dashboard's snapshot (what the page and `mallex
 * status` read): the budget, what is held now and each server's size with where it comes from, built
 * when a snapshot or a poll is; and how long a pool server that failed has left to cool down.
 */
import { describe, expect, it } from "vitest";
import { createBackendPools } from "../src/backends/pool/backend-pool.js";
import { createCircuitBreakers } from "../src/backends/circuit-breaker.js";
import { resolveBackends } from "../src/backends/resolve-backends.js";
import { createDashboardFeed, type DashboardMessage } from "../src/observe/dashboard/dashboard-feed.js";
import { summarizePools } from "../src/observe/dashboard/pool-summary.js";
import { createSupervisorPool } from "../src/backends/supervisor-pool.js";
import { createModelSizes } from "../src/supervisor/memory/model-sizes.js";
import { instantSupervisor } from "./fakes/instant-supervisor.js";
import { compileTree } from "./helpers/config-tree.js";
import { defaultTable } from "./helpers/test-proxy.js";

const GB = 1024 ** 3;

const CONFIG = `backends:
  local:
    kind: openai
    flavor: mlx-lm
    supervise: { command: "fake-server --model {model} --port {port}", venv: false }
profiles:
  fast: { backend: local, model: org/Fast, size: large, min_ram_gb: 6 }
  deep: { backend: local, model: org/Deep, size: large }
  guess: { backend: local, model: org/Guess, size: large, params_b: 8 }
  unknown: { backend: local, model: org/Unknown, size: large }
tiers:
  low: { profile: fast }
  medium: { profile: deep }
routing:
  models:
    - { match: "*haiku*", tier: low }
memory:
  budget_gb: 40
`;

/** Supervisors behind a 40 GB budget: org/Deep has 10 GB of weights on disk, org/Fast was measured at 7 GB by an earlier session. */
function supervised() {
  const result = compileTree({ "mallex.yaml": CONFIG });
  expect(result.lines).toEqual([]);
  const table = result.table!;
  const sizes = createModelSizes({
    measure: async () => undefined,
    weightsBytes: (model) => (model === "org/Deep" ? 10 * GB : undefined),
    load: () => ({ "local--org_Fast": 7 * GB }),
    save: () => {},
  });
  const supervisors = createSupervisorPool(table, { create: (spec) => instantSupervisor(spec), memory: { totalBytes: 64 * GB, sizes, note: () => {} } });
  const feed = createDashboardFeed({ table, supervisors, maxRequests: 10, maxExplanations: 10, maxClients: 2, pollMs: 10, date: () => new Date() });
  const use = async (name: string) => {
    const supervisor = supervisors.for(table.profiles[name]!);
    await supervisor.ensureReady();
    supervisor.beginRequest().end();
  };
  return { feed, use, table, supervisors };
}

describe("the memory budget in the dashboard's snapshot", () => {
  it("gives the budget, what is held, and each server's size with where it comes from", async () => {
    const { feed, use, supervisors, table } = supervised();
    expect(feed.snapshot().memory).toEqual({ budgetBytes: 40 * GB, heldBytes: 0, servers: [] });
    await use("fast");
    await use("deep");
    for (const name of ["guess", "unknown"]) supervisors.for(table.profiles[name]!); // created, never started
    expect(feed.snapshot().memory).toEqual({
      budgetBytes: 40 * GB,
      heldBytes: 7 * GB + 12 * GB,
      servers: [
        { key: "local--org_Fast", bytes: 7 * GB, source: "measured" },
        { key: "local--org_Deep", bytes: 12 * GB, source: "weights on disk" },
        { key: "local--org_Guess", bytes: 8 * 0.6 * GB, source: "params_b" },
        { key: "local--org_Unknown", source: "unknown" },
      ],
    });
    await supervisors.for(table.profiles.deep!).stop();
    expect(feed.snapshot().memory!.heldBytes).toBe(7 * GB);
  });

  it("sends the budget with the servers on /ui/events when what is held changes", async () => {
    const { feed, use } = supervised();
    const heard: DashboardMessage[] = [];
    const stop = feed.subscribe((message) => heard.push(message))!;
    try {
      await use("deep");
      const held = () => heard.flatMap((m) => (m.type === "servers" && m.memory ? [m.memory.heldBytes] : [])).at(-1);
      await expect.poll(held).toBe(12 * GB);
    } finally {
      stop();
    }
  });

  it("has no memory field where mallex starts no server", () => {
    const feed = createDashboardFeed({ table: defaultTable, maxRequests: 10, maxExplanations: 10, maxClients: 2, pollMs: 50, date: () => new Date() });
    expect(feed.snapshot()).not.toHaveProperty("memory");
  });
});

describe("a pool server's cool-down in the snapshot", () => {
  it("says how many seconds an open breaker has left, and nothing once it is half-open", () => {
    let now = 1_000;
    const backends = resolveBackends(defaultTable, {}, { backendUrls: ["http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1"] });
    const pools = createBackendPools(backends, { log: () => {}, probeIntervalMs: 0, breaker: { failureThreshold: 1, coolDownMs: 10_000, now: () => now } });
    try {
      const pool = pools.all()[0]!;
      pool.begin("http://127.0.0.1:2/v1").end({ ok: false });
      now += 2_500;
      const servers = () => summarizePools(pools, undefined).find((p) => p.backend === pool.backend)!.servers;
      expect(servers().map((s) => [s.state, s.coolDownLeftS])).toEqual([
        ["closed", undefined],
        ["open", 8],
      ]);
      expect(servers()[0]).not.toHaveProperty("coolDownLeftS");
      now += 7_500;
      expect(servers()[1]).toMatchObject({ state: "half-open" });
      expect(servers()[1]).not.toHaveProperty("coolDownLeftS");
    } finally {
      pools.close();
    }
  });

  it("the breaker's cool-down left follows retry-after and ends with the cool-down", () => {
    let now = 0;
    const breakers = createCircuitBreakers({ failureThreshold: 1, coolDownMs: 5_000, now: () => now });
    expect(breakers.coolDownLeftMs("b")).toBeUndefined();
    breakers.begin("b").end({ ok: false, retryAfterMs: 20_000 });
    expect(breakers.coolDownLeftMs("b")).toBe(20_000);
    now = 19_000;
    expect(breakers.coolDownLeftMs("b")).toBe(1_000);
    now = 20_000;
    expect(breakers.coolDownLeftMs("b")).toBeUndefined();
  });
});
