/**
 * Memory-aware swapping with real supervisors: three profiles on one supervised backend (the fake
 * mlx-lm.server CLI, one process per model), whose sizes (4 GB declared, 4.5 GB measured through the
 * measurement dep) let only two stay loaded in a 10 GB budget. Requests through mallex go to each
 * tier in turn: every one is answered, the least recently used server is unloaded to make room, and
 * the servers running never hold more than the budget.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { resolveBackends } from "../src/backends/resolve-backends.js";
import { createSupervisorPool } from "../src/backends/supervisor-pool.js";
import { createSupervisor } from "../src/supervisor/create-supervisor.js";
import { createModelSizes } from "../src/supervisor/memory/model-sizes.js";
import type { ServerSupervisor, SupervisorEvent } from "../src/supervisor/types.js";
import { BASE, compileIn, compileDocsExample, compileTree, writeTree } from "./helpers/config-tree.js";
import { createProcessCleanup } from "./helpers/process-cleanup.js";
import { createTestProxy } from "./helpers/test-proxy.js";

const SERVER = fileURLToPath(new URL("./fakes/mlx-lm-server-cli.js", import.meta.url));
const GB = 1024 ** 3;

const processes = createProcessCleanup("mallex-memory-");
afterEach(() => processes.cleanup());

const MODELS = { low: "test-org/Fast-4bit", medium: "test-org/Mid-4bit", high: "test-org/Deep-4bit" } as const;

function swapping() {
  const dir = writeTree({});
  writeFileSync(
    join(dir, "mallex.yaml"),
    `backends:
  local:
    kind: openai
    flavor: mlx-lm
    supervise:
      command: ${JSON.stringify(`'${process.execPath}' '${SERVER}' --model {model} --host {host} --port {port}`)}
      venv: false
      max_restarts: 0
profiles:
  fast: { backend: local, model: ${MODELS.low}, size: large, min_ram_gb: 4 }
  mid: { backend: local, model: ${MODELS.medium}, size: large, min_ram_gb: 4 }
  deep: { backend: local, model: ${MODELS.high}, size: large, min_ram_gb: 4 }
tiers:
  low: { profile: fast }
  medium: { profile: mid }
  high: { profile: deep }
routing:
  default_tier: medium
  models:
    - { match: "*haiku*", tier: low }
    - { match: "*opus*", tier: high }
memory:
  budget_gb: 10
`,
  );
  const tree = compileIn(dir);
  expect(tree.lines).toEqual([]);
  const table = tree.table!;
  expect(table.memory).toEqual({ budgetGb: 10 });
  const home = processes.home();
  const events: Array<{ key: string; event: SupervisorEvent }> = [];
  const notes: string[] = [];
  const live: ServerSupervisor[] = [];
  let peak = 0;
  // Every state change: the servers whose process runs (starting, ready, stopping) fit the budget.
  const check = () => {
    const held = live.filter((s) => s.state === "starting" || s.state === "ready" || s.state === "stopping").length * 4.5 * GB;
    peak = Math.max(peak, held);
  };
  const pool = createSupervisorPool(table, {
    create: (spec, observe) => {
      const supervisor = createSupervisor(spec, {
        mallexHome: home,
        stopTimeoutMs: 3000,
        onEvent: (event) => {
          if (supervisor.pid !== undefined) processes.pids.add(supervisor.pid);
          events.push({ key: spec.key, event });
          check();
          observe(event);
        },
      });
      processes.supervisors.push(supervisor);
      live.push(supervisor);
      return supervisor;
    },
    memory: {
      totalBytes: 64 * GB,
      // The measurement dep reports 4.5 GB for each fake server (their real RSS is a few MB).
      sizes: createModelSizes({ measure: async () => 4.5 * GB, weightsBytes: () => undefined, load: () => ({}), save: () => {} }),
      note: (_key, text) => notes.push(text),
    },
  });
  const proxy = createTestProxy({ table, ctx: { supervisors: pool, backends: resolveBackends(table, {}, { supervised: pool.backends }) } });
  const ask = async (model: string, text: string) => {
    const response = await proxy.post("/v1/messages", { model, max_tokens: 32, messages: [{ role: "user", content: text }] });
    expect(response.status, await response.clone().text()).toBe(200);
    return ((await response.json()) as { content: Array<{ text?: string }> }).content[0]?.text;
  };
  const state = () => Object.fromEntries(pool.all().map((s) => [s.spec.model, s.state]));
  return { pool, proxy, ask, state, events, notes, peak: () => peak };
}

describe("memory-aware swapping", () => {
  it("answers every tier in turn, unloading the least recently used server when a third would not fit", async () => {
    const s = swapping();
    expect(await s.ask("claude-haiku-4-5", "one for the fast model")).toBe("one for the fast model");
    expect(await s.ask("claude-sonnet-4-6", "one for the mid model")).toBe("one for the mid model");
    expect(s.state()).toEqual({ [MODELS.low]: "ready", [MODELS.medium]: "ready" });
    expect(s.notes).toEqual([]);

    // Fast was used longest ago: it goes, mid stays.
    expect(await s.ask("claude-opus-4-5", "one for the deep model")).toBe("one for the deep model");
    expect(s.state()).toEqual({ [MODELS.low]: "stopped", [MODELS.medium]: "ready", [MODELS.high]: "ready" });
    expect(s.notes).toEqual([
      expect.stringMatching(
        /^unloaded local--test-org_Fast-4bit \(4\.5 GB, idle [\d.]+ s\) to make room for local--test-org_Deep-4bit \(4 GB\); budget 10 GB$/,
      ),
    ]);

    // Back to fast: now mid is the least recently used.
    expect(await s.ask("claude-haiku-4-5", "fast again")).toBe("fast again");
    expect(s.state()).toEqual({ [MODELS.low]: "ready", [MODELS.medium]: "stopped", [MODELS.high]: "ready" });
    expect(s.notes[1]).toMatch(
      /^unloaded local--test-org_Mid-4bit \(4\.5 GB, idle [\d.]+ s\) to make room for local--test-org_Fast-4bit \(4\.5 GB\); budget 10 GB$/,
    );

    // At no moment did more than two servers run.
    expect(s.peak()).toBe(9 * GB);
    // /metrics shows the budget and what the two servers running hold (4.5 GB measured each).
    const exposition = await (await s.proxy.fetch("/metrics")).text();
    expect(exposition).toContain(`mallex_memory_budget_bytes ${10 * GB}`);
    expect(exposition).toContain(`mallex_memory_held_bytes ${9 * GB}`);
    const unloads = s.events.filter((e) => e.event.type === "stopped").map((e) => e.key);
    expect(unloads).toEqual(["local--test-org_Fast-4bit", "local--test-org_Mid-4bit"]);
  }, 30_000);

  it("a request for a server that must wait for room waits for the busy one, then is answered", async () => {
    const s = swapping();
    await s.ask("claude-haiku-4-5", "warm fast");
    await s.ask("claude-sonnet-4-6", "warm mid");
    // A request in flight on fast and one on mid: deep has to wait until one of them is done.
    const fast = s.pool.for(tableProfile(s, "fast"));
    const leaseFast = fast.beginRequest();
    const mid = s.pool.for(tableProfile(s, "mid"));
    const leaseMid = mid.beginRequest();
    const deep = s.ask("claude-opus-4-5", "deep, after a wait");
    await expect
      .poll(() => s.notes.at(-1))
      .toMatch(
        /^local--test-org_Deep-4bit \(4 GB\) waits for room: local--test-org_Fast-4bit \(4\.5 GB, 1 request in flight\), local--test-org_Mid-4bit \(4\.5 GB, 1 request in flight\) hold 9 GB of the budget of 10 GB$/,
      );
    expect(s.state()[MODELS.high]).toBe("stopped");
    leaseMid.end();
    expect(await deep).toBe("deep, after a wait");
    expect(s.state()).toEqual({ [MODELS.low]: "ready", [MODELS.medium]: "stopped", [MODELS.high]: "ready" });
    leaseFast.end();
    expect(s.peak()).toBe(9 * GB);
  }, 30_000);
});

function tableProfile(s: ReturnType<typeof swapping>, name: string) {
  return s.proxy.ctx.table.profiles[name]!;
}

describe("the memory example of docs/reliability.md", () => {
  it("compiles into the table's memory block", () => {
    const result = compileDocsExample("docs/reliability.md", "**Memory on one machine.**");
    expect(result.lines).toEqual([]);
    expect(result.table!.memory).toEqual({ budgetGb: 48, together: [["qwen2.5-coder-7b", "qwen3-coder-30b"]] });
  });

  it("a together group naming no profile is refused, with the closest name", () => {
    const result = compileTree({ "mallex.yaml": `${BASE}memory:\n  together: [[small, smal1]]\n` });
    expect(result.lines.join("\n")).toMatch(/profile "smal1" is not declared/);
    expect(result.lines.join("\n")).toMatch(/did you mean "small"\?/);
  });
});
