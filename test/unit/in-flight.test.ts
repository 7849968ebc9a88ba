import { describe, expect, it } from "vitest";
import { formatInFlight, formatStatus } from "../../src/cli/format-status.js";
import type { CompiledProfile } from "../../src/compile/routing-table.js";
import { createDashboardFeed, type DashboardMessage } from "../../src/observe/dashboard/dashboard-feed.js";
import { summarizeInFlight } from "../../src/observe/dashboard/in-flight-summary.js";
import type { RequestTrace } from "../../src/observe/request-record.js";
import { readPrefillProgress } from "../../src/observe/read-prefill-progress.js";
import { compileTree, BASE } from "../helpers/config-tree.js";

const table = compileTree({ "mallex.yaml": BASE }).table!;
const profile = { name: "coder" } as CompiledProfile;
const DATE = new Date("2026-11-26T00:01:00.000Z");

describe("a model server's prefill progress", () => {
  it("reads mlx-lm.server's keepalive and the engine's prefill comments, nothing else", () => {
    expect(readPrefillProgress(" keepalive 2048/18231")).toEqual({ done: 2048, total: 18231 });
    expect(readPrefillProgress("prefill 512/1800")).toEqual({ done: 512, total: 1800 });
    expect(readPrefillProgress(" keepalive 0/12")).toEqual({ done: 0, total: 12 });
    for (const other of ["", " keepalive", " ping", " keepalive 5/0", " keepalive 9/3", " prefill 1/2 extra", " keepalive -1/3", " keepalive 1e3/5000"]) {
      expect(readPrefillProgress(other), other).toBeUndefined();
    }
  });
});

describe("a request under way", () => {
  const trace = (metrics?: Partial<NonNullable<RequestTrace["metrics"]>>): RequestTrace => ({
    started: 1_000,
    route: { profile, tier: "medium", reason: "default → medium", skipped: [] },
    ...(metrics ? { metrics: { route: "x", charsIn: 0, charsOut: 0, started: 1_000, ...metrics } } : {}),
  });

  it("says what it waits on: routing, its turn or server, the prefill with the time left at its pace, the answer", () => {
    const at = (t: RequestTrace, now: number, prefill?: { done: number; total: number }) =>
      summarizeInFlight({ id: "req_1", trace: t, now, date: DATE, ...(prefill ? { prefill } : {}) });
    expect(at({ started: 1_000 }, 1_500)).toMatchObject({ phase: "routing", elapsedMs: 500, since: "2026-11-26T00:00:59.500Z" });
    expect(at(trace({ route: "x" }), 1_500)).toMatchObject({ phase: "waiting", tier: "medium", profile: "coder" });
    const sent = trace({ route: "x", sentAt: 2_000 });
    expect(at(sent, 3_000)).toEqual({ id: "req_1", since: "2026-11-26T00:00:58.000Z", elapsedMs: 2_000, tier: "medium", profile: "coder", phase: "prefill" });
    // 512 of 2,048 tokens in 10 s: 1,536 more at that pace take 30 s.
    expect(at(sent, 12_000, { done: 512, total: 2_048 })).toMatchObject({ phase: "prefill", prefill: { done: 512, total: 2_048 }, prefillLeftMs: 30_000 });
    expect(at(sent, 2_500, { done: 0, total: 2_048 })).not.toHaveProperty("prefillLeftMs");
    expect(at(trace({ route: "x", sentAt: 2_000, modelTokenAt: 9_000 }), 9_500, { done: 2_048, total: 2_048 })).toMatchObject({ phase: "answering" });
    expect(at(trace({ route: "x", sentAt: 2_000, modelTokenAt: 9_000 }), 9_500, { done: 2_048, total: 2_048 })).not.toHaveProperty("prefill");
  });

  it("`mallex status` shows it in words", () => {
    expect(
      formatInFlight({
        id: "req_1",
        since: DATE.toISOString(),
        elapsedMs: 34_200,
        tier: "medium",
        profile: "coder",
        phase: "prefill",
        prefill: { done: 1_024, total: 2_000 },
        prefillLeftMs: 20_400,
      }),
    ).toBe("req_1 · medium → coder · prefill 1,024 of 2,000 prompt tokens (51%, ~20 s left) · 34 s");
    expect(formatInFlight({ id: "req_2", since: DATE.toISOString(), elapsedMs: 120_000, phase: "routing" })).toBe("req_2 · being routed · 2 min");
    const lines = formatStatus(
      "http://127.0.0.1:4141",
      { type: "snapshot", requests: [], servers: [], pools: [], inFlight: [{ id: "req_3", since: DATE.toISOString(), elapsedMs: 5_000, phase: "waiting" }] },
      { requests: 10, now: DATE.getTime() },
    );
    expect(lines.slice(lines.indexOf("Under way:"), lines.indexOf("Under way:") + 2)).toEqual([
      "Under way:",
      "  req_3 · waiting for its turn or its model server · 5 s",
    ]);
  });

  it("the feed keeps each request from its start to its end, and tells its listeners of every change", async () => {
    let clock = 1_000;
    const feed = createDashboardFeed({ table, maxRequests: 5, maxExplanations: 5, maxClients: 2, pollMs: 1_000, now: () => clock, date: () => DATE });
    const heard: DashboardMessage[] = [];
    const stop = feed.subscribe((message) => heard.push(message))!;
    const t = trace({ route: "x", sentAt: 1_000 });
    feed.requestStarted("req_1", t);
    clock = 5_000;
    feed.requestProgress("req_1", { done: 1_000, total: 4_000 });
    // A late comment of a request that already ended changes nothing.
    feed.requestProgress("req_gone", { done: 1, total: 2 });
    expect(feed.snapshot().inFlight).toEqual([
      expect.objectContaining({ id: "req_1", phase: "prefill", prefill: { done: 1_000, total: 4_000 }, prefillLeftMs: 12_000 }),
    ]);
    feed.requestEnded("req_1", t, { status: 200, outcome: "ok", finishedAt: 6_000 });
    expect(feed.snapshot().inFlight).toEqual([]);
    expect(heard.filter((m) => m.type === "inFlight").map((m) => (m.type === "inFlight" ? m.inFlight.length : -1))).toEqual([1, 1, 0]);
    stop();
  });
});
