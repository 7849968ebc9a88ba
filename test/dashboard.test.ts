/**
 * The dashboard's data without a browser: the request summaries (the request log's numbers), the
 * bounded feed (requests, explanations, clients), server histories from supervisor events, prompt
 * masking, and /ui's routes in process — the page, its SSE stream (a snapshot, then each request),
 * the token, a request's explanation with its prompt hidden, and clear errors.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDashboardFeed, type DashboardFeed, type DashboardMessage } from "../src/observe/dashboard/dashboard-feed.js";
import { buildEvalReport } from "../src/eval/eval-report.js";
import type { EvalView } from "../src/eval/eval-view.js";
import { saveLastEval } from "../src/observe/dashboard/save-last-eval.js";
import { summarizeContexts } from "../src/observe/dashboard/context-summary.js";
import { fitToServerFacts } from "../src/router/fit-to-server-facts.js";
import { describeRoutingTable } from "../src/observe/dashboard/describe-routing-table.js";
import { maskPrompts } from "../src/observe/dashboard/mask-prompts.js";
import { applyServerEvent } from "../src/observe/dashboard/server-summary.js";
import { summarizeRequest } from "../src/observe/dashboard/summarize-request.js";
import type { LastRequestFiles } from "../src/observe/format-last-request.js";
import { createRedactor } from "../src/observe/redact-secrets.js";
import { createRequestWatcher } from "../src/observe/request-watch.js";
import type { RequestTrace } from "../src/observe/request-record.js";
import { createUpstreamClient } from "../src/backends/upstream-client.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { createTestProxy, defaultTable } from "./helpers/test-proxy.js";
import { BASE, packageRoot, validator, writeTree } from "./helpers/config-tree.js";
import { compileConfig } from "../src/compile/compile-config.js";

// The shipped table is read in test-proxy's beforeAll: the medium tier's profile, once it is.
const medium = () => defaultTable.profiles[defaultTable.tiers.medium.profile]!;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("summarizeRequest", () => {
  it("gives the request log's numbers: chars, tokens, ttft, prefill and decode rates, stop reason", () => {
    const trace: RequestTrace = {
      started: 1000,
      model: "claude-sonnet-4-6",
      route: { profile: medium(), tier: "medium", reason: "default → medium", skipped: [] },
      metrics: {
        route: "x",
        charsIn: 1000,
        charsOut: 700,
        started: 1010,
        firstTokenAt: 1510,
        finishedAt: 2510,
        promptTokens: 1200,
        cachedTokens: 200,
        outputTokens: 50,
        stopReason: "end_turn",
      },
    };
    const summary = summarizeRequest({
      id: "req_1",
      at: "2026-01-01T00:00:00.000Z",
      trace,
      end: { status: 200, outcome: "ok", finishedAt: 2520 },
      table: defaultTable,
    });
    expect(summary).toMatchObject({
      model: "claude-sonnet-4-6",
      tier: "medium",
      profile: medium().name,
      backend: "local",
      reason: "default → medium",
      charsIn: 1000,
      charsOut: 700,
      promptTokens: 1200,
      cachedTokens: 200,
      ttftMs: 510,
      prefillTps: 2000,
      decodeTps: 50,
      stopReason: "end_turn",
      durationMs: 1520,
    });
    expect(summary.error).toBeUndefined();
  });

  it("shows the waits before the backend saw the request, and times the prefill after them", () => {
    const trace: RequestTrace = {
      started: 1000,
      model: "claude-sonnet-4-6",
      route: { profile: medium(), tier: "medium", reason: "default → medium", skipped: [] },
      metrics: {
        route: "x",
        charsIn: 1000,
        charsOut: 700,
        started: 1010,
        queuedMs: 1200,
        loadingMs: 4,
        sentAt: 2214,
        firstTokenAt: 2714,
        finishedAt: 3714,
        promptTokens: 1200,
        cachedTokens: 200,
        outputTokens: 50,
      },
    };
    const summary = summarizeRequest({
      id: "req_1",
      at: "2026-01-01T00:00:00.000Z",
      trace,
      end: { status: 200, outcome: "ok", finishedAt: 3720 },
      table: defaultTable,
    });
    expect(summary).toMatchObject({ ttftMs: 1714, queuedMs: 1200, prefillTps: 2000 });
    expect(summary.loadingMs).toBeUndefined(); // 4 ms: not worth showing
  });

  it("says in words why a request refused before routing or cancelled ended so", () => {
    const refused = summarizeRequest({ id: "r", at: "t", trace: { started: 0 }, end: { status: 400, outcome: "error", finishedAt: 5 }, table: defaultTable });
    expect(refused).toMatchObject({ model: "(unread)", tier: "none", profile: "none", error: "status 400" });
    const cancelled = summarizeRequest({
      id: "r",
      at: "t",
      trace: { started: 0, model: "m" },
      end: { status: 200, outcome: "cancelled", finishedAt: 5 },
      table: defaultTable,
    });
    expect(cancelled.error).toBe("the client went away");
  });
});

describe("the dashboard feed", () => {
  const feedOf = (over: Partial<Parameters<typeof createDashboardFeed>[0]> = {}) =>
    createDashboardFeed({
      table: defaultTable,
      maxRequests: 3,
      maxExplanations: 2,
      maxClients: 1,
      pollMs: 50,
      date: () => new Date("2026-01-01T00:00:00Z"),
      ...over,
    });

  it("keeps the last requests, summarized after the request's turn, and tells each listener", async () => {
    const feed = feedOf();
    const heard: string[] = [];
    const stop = feed.subscribe((message) => heard.push(message.type === "request" ? message.request.id : message.type))!;
    for (const id of ["a", "b", "c", "d"]) feed.requestEnded(id, { started: 0, model: "m" }, { status: 200, outcome: "ok", finishedAt: 1 });
    expect(feed.snapshot().requests).toEqual([]);
    await nextTurn();
    expect(feed.snapshot().requests.map((r) => r.id)).toEqual(["b", "c", "d"]);
    expect(heard).toEqual(["a", "b", "c", "d"]);
    stop();
  });

  it("sends the contexts (and the queues' capacity) in the snapshot, and again on /ui/events when a server's facts change them", async () => {
    const table = { ...defaultTable, profiles: { ...defaultTable.profiles, [medium().name]: { ...medium(), contextWindow: 32768, inputBudget: 8000 } } };
    let current = table;
    let said = false;
    const factsOf = (backend: string) => (said ? { contextWindow: 4096, source: `${backend} GET /props` } : undefined);
    const feed = feedOf({ contexts: () => summarizeContexts({ declared: table, current, factsOf }), capacity: () => [] });
    const first = feed.snapshot().contexts!.find((c) => c.profile === medium().name);
    expect(first).toMatchObject({ contextWindow: 32768, inputBudget: 8000, source: "declared" });
    const heard: DashboardMessage[] = [];
    const stop = feed.subscribe((message) => heard.push(message))!;
    try {
      // The proxy refits its table when a server says it holds less (learn-server-facts.ts).
      said = true;
      current = fitToServerFacts(table, factsOf).table;
      const lowered = () => heard.flatMap((m) => (m.type === "capacity" ? m.contexts : [])).find((c) => c.profile === medium().name);
      await expect.poll(lowered).toEqual({
        profile: medium().name,
        backend: medium().backend,
        usedBy: expect.arrayContaining(["medium"]),
        contextWindow: 4096,
        inputBudget: 3072,
        source: `${medium().backend} GET /props`,
        declared: 32768,
      });
      expect(feed.snapshot().contexts).toContainEqual(lowered());
      // Nothing changed since: no message again.
      const count = heard.length;
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(heard.length).toBe(count);
    } finally {
      stop();
    }
  });

  it("lets the newest client in past its bound by letting the oldest go, never the other way round (issue 24)", () => {
    const feed = feedOf({ maxClients: 2 });
    const evicted: string[] = [];
    const subscribe = (name: string) =>
      feed.subscribe(
        () => {},
        () => evicted.push(name),
      )!;
    subscribe("squatter-1");
    subscribe("squatter-2");
    const stopUser = subscribe("user");
    expect(evicted).toEqual(["squatter-1"]);
    subscribe("squatter-3");
    expect(evicted).toEqual(["squatter-1", "squatter-2"]);
    // One that left is not let go again, and makes room.
    stopUser();
    subscribe("second-user");
    expect(evicted).toEqual(["squatter-1", "squatter-2"]);
  });

  it("refuses a client past its bound when none can be let go, and lets one in again when another leaves", () => {
    const feed = feedOf();
    const stop = feed.subscribe(() => {})!;
    expect(feed.subscribe(() => {})).toBeUndefined();
    stop();
    expect(feed.subscribe(() => {})).toBeTypeOf("function");
  });

  it("keeps the explanations of the last requests only, built when asked", () => {
    const feed = feedOf();
    let built = 0;
    const files = (): LastRequestFiles => (built++, { "request.json": "{}", "upstream.json": "{}", "route.json": "{}", "response.json": "{}" });
    for (const id of ["a", "b", "c"]) feed.keepExplanation(id, files, 100);
    expect(built).toBe(0);
    expect(feed.explanation("a")).toBeUndefined();
    expect(feed.explanation("c")).toBeDefined();
    expect(built).toBe(1);
  });

  it("tells a server's progress, restarts and last error (out of memory in words) from its events", () => {
    let history = { since: "t", restarts: 0 };
    history = applyServerEvent(history, { type: "progress", message: "downloading model", percent: 40 });
    expect(history).toMatchObject({ progress: "downloading model", percent: 40 });
    history = applyServerEvent(history, { type: "out-of-memory", message: "Insufficient Memory" });
    history = applyServerEvent(history, { type: "restarting", attempt: 1, delayMs: 500 });
    expect(history).toMatchObject({ restarts: 1, lastError: "ran out of memory: Insufficient Memory" });
    history = applyServerEvent(history, { type: "ready", baseUrl: "http://127.0.0.1:1/v1", ms: 10 });
    expect(history).not.toHaveProperty("progress");
  });
});

describe("maskPrompts", () => {
  it("replaces every prompt text by its length and keeps names, roles, numbers and the route", () => {
    const body = {
      model: "m",
      max_tokens: 5,
      system: [{ type: "text", text: "be brief" }],
      messages: [
        { role: "user", content: [{ type: "text", text: "secret words" }] },
        { role: "assistant", content: "more secret" },
      ],
      tools: [{ name: "Read", description: "reads", input_schema: { type: "object" } }],
    };
    const files: LastRequestFiles = {
      "request.json": JSON.stringify({ request_id: "r", body }),
      "upstream.json": JSON.stringify({ request_id: "r", body: { model: "m", messages: [{ role: "user", content: "secret words" }] } }),
      "route.json": JSON.stringify({ profile: "p", reason: "default" }),
      "response.json": "{}",
    };
    const masked = maskPrompts(files);
    const text = Object.values(masked).join("\n");
    expect(text).not.toContain("secret");
    expect(text).not.toContain("be brief");
    expect(masked["request.json"]).toContain('"‹12 chars›"');
    expect(masked["request.json"]).toContain('"role": "user"');
    expect(masked["request.json"]).toContain('"name": "Read"');
    expect(masked["route.json"]).toBe(files["route.json"]);
  });

  it("hides tool enum values, tool input keys and metadata.user_id too (issue 24)", () => {
    const body = {
      model: "m",
      max_tokens: 5,
      metadata: { user_id: "user_alice_account_42" },
      tools: [
        {
          name: "Deploy",
          input_schema: { type: "object", properties: { target: { type: "string", enum: ["prod-secret-host", "staging-host"], default: "staging-host" } } },
        },
      ],
      messages: [
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "t1", name: "Deploy", input: { "private-key-path": "/home/alice/.ssh/id", target: "prod-secret-host" } }],
        },
      ],
    };
    const files: LastRequestFiles = {
      "request.json": JSON.stringify({ request_id: "r", body }),
      "upstream.json": "{}",
      "route.json": "{}",
      "response.json": "{}",
    };
    const masked = maskPrompts(files)["request.json"];
    for (const secret of ["user_alice", "prod-secret-host", "staging-host", "private-key-path", "/home/alice"]) expect(masked).not.toContain(secret);
    // The shape stays: the tool's name, its schema's structure, how many values and keys there were.
    expect(JSON.parse(masked)).toMatchObject({
      body: {
        metadata: { "‹key 1›": "‹21 chars›" },
        tools: [{ name: "Deploy", input_schema: { properties: { target: { type: "string", enum: ["‹16 chars›", "‹12 chars›"] } } } }],
        messages: [{ content: [{ type: "tool_use", name: "Deploy", input: { "‹key 1›": "‹19 chars›", "‹key 2›": "‹16 chars›" } }] }],
      },
    });
  });
});

describe("describeRoutingTable", () => {
  it("says where each tier, profile and intent was written (file:line from the config's folder, includes too), whatever folder compiled it", () => {
    const dir = writeTree({
      "mallex.yaml": `include: [./rules/team.yaml]\n${BASE}`,
      "rules/team.yaml": "intents:\n  - id: greet\n    tier: medium\n    match: { prompt: ['^hi$'] }\n",
    });
    const result = compileConfig({ configPath: join(dir, "mallex.yaml"), outDir: join(dir, "generated"), cwd: tmpdir(), env: {}, packageRoot, validator });
    expect(result.diagnostics).toEqual([]);
    expect(result.table!.origins).toMatchObject({ "tiers.medium": "mallex.yaml:7", "profiles.small": "mallex.yaml:5", "intents.greet": "rules/team.yaml:2" });
    const view = describeRoutingTable(result.table!);
    expect(view.tiers[0]).toMatchObject({ tier: "medium", at: "mallex.yaml:7", profileAt: "mallex.yaml:5" });
    expect(view.intents[0]).toMatchObject({ id: "greet", at: "rules/team.yaml:2" });
  });

  it("lists every tier with its profile, model and backend kind, and leaves the server block (its token) out", () => {
    const view = describeRoutingTable(defaultTable);
    expect(view.tiers.map((t) => t.tier)).toEqual(Object.keys(defaultTable.tiers));
    expect(view.tiers[0]).toHaveProperty("backendKind");
    expect(JSON.stringify(view)).not.toContain("auth");
  });
});

describe("/ui in process", () => {
  let mlx: FakeMlxServer;
  let assetsDir: string;
  beforeAll(async () => {
    mlx = await createFakeMlxServer();
    assetsDir = mkdtempSync(join(tmpdir(), "mallex-ui-"));
    writeFileSync(join(assetsDir, "index.html"), "<!doctype html><title>mallex</title>");
  });
  afterAll(() => mlx.close());

  const proxyWith = (
    extra: { authToken?: string; showPrompts?: boolean; assetsDir?: string; lastEvalFile?: string; feed?: DashboardFeed; closing?: AbortSignal } = {},
  ) => {
    const feed =
      extra.feed ?? createDashboardFeed({ table: defaultTable, maxRequests: 10, maxExplanations: 10, maxClients: 2, pollMs: 50, date: () => new Date() });
    const watchRequest = createRequestWatcher({
      level: 0,
      debug: () => {},
      redact: createRedactor([]),
      table: defaultTable,
      upstream: createUpstreamClient(),
      keep: feed.keepExplanation,
      now: () => performance.now(),
      date: () => new Date(),
    });
    return createTestProxy({
      backendUrl: mlx.url,
      ctx: {
        dashboard: {
          feed,
          assetsDir: extra.assetsDir ?? assetsDir,
          showPrompts: extra.showPrompts ?? false,
          heartbeatMs: 20,
          ...(extra.lastEvalFile ? { lastEvalFile: extra.lastEvalFile } : {}),
          ...(extra.closing ? { closing: extra.closing } : {}),
        },
        ...(watchRequest ? { watchRequest } : {}),
        ...(extra.authToken ? { authToken: extra.authToken } : {}),
      },
    });
  };

  it("ends every /ui/events stream when the server closes: an open dashboard must not hold its close (mallex eval closes one proxy per variant)", async () => {
    const closing = new AbortController();
    const proxy = proxyWith({ closing: closing.signal });
    const reader = (await proxy.fetch("/ui/events")).body!.pipeThrough(new TextDecoderStream()).getReader();
    expect((await reader.read()).value).toContain("event: snapshot");
    closing.abort();
    let done = false;
    while (!done) done = (await reader.read()).done;
    // A page that connects while the server closes gets its snapshot and the end at once.
    const late = (await proxy.fetch("/ui/events")).body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    for (let chunk = await late.read(); !chunk.done; chunk = await late.read()) text += chunk.value;
    expect(text).toContain("event: snapshot");
  });

  it("/ui/api/eval: this mallex's own eval run, else the last one saved (its answers hidden), else none; a broken file said so", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-home-"));
    const file = join(home, "last-eval.json");
    const report = buildEvalReport({ tasks: [], planned: 2, interrupted: false, suite: "/s", backend: "b", claudeCode: "v", startedAt: "t", wallMs: 1 });
    const get = async (proxy: ReturnType<typeof proxyWith>) => (await proxy.fetch("/ui/api/eval")).json() as Promise<{ source: string; eval?: EvalView }>;
    await expect(get(proxyWith({ lastEvalFile: file }))).resolves.toEqual({ source: "none" });
    const task = {
      task: "a",
      passed: true,
      answer: "the model's words",
      wallMs: 1,
      turns: 1,
      toolCalls: 1,
      toolCallsByName: {},
      failedToolCalls: 0,
      rejectedToolCalls: 0,
      repairedToolCalls: 0,
      changedFiles: [],
      timedOut: false,
      checker: { exitCode: 0, output: "ok", timedOut: false },
      metrics: report.totals,
      toolsAndClientMs: 0,
    };
    saveLastEval(home, { state: "finished", report: { ...report, tasks: [task] } });
    const saved = await get(proxyWith({ lastEvalFile: file }));
    expect(saved).toMatchObject({ source: "saved", eval: { state: "finished", report: { tasks: [{ task: "a", passed: true, checker: { output: "" } }] } } });
    expect(JSON.stringify(saved)).not.toContain("the model's words");
    const feed = createDashboardFeed({ table: defaultTable, maxRequests: 10, maxExplanations: 10, maxClients: 2, pollMs: 50, date: () => new Date() });
    feed.showEval({ state: "running", current: { index: 1, of: 2, task: "a", turn: 3 }, report });
    await expect(get(proxyWith({ lastEvalFile: file, feed }))).resolves.toMatchObject({ source: "live", eval: { state: "running", current: { turn: 3 } } });
    expect(feed.snapshot().eval).toMatchObject({ state: "running" });
    writeFileSync(file, "{ not json");
    const broken = await proxyWith({ lastEvalFile: file }).fetch("/ui/api/eval");
    expect(broken.status).toBe(500);
    expect(((await broken.json()) as { error: { message: string } }).error.message).toMatch(
      /^the last eval report .*last-eval\.json is not one mallex wrote \(.*\): run mallex eval again$/,
    );
    expect((await proxyWith({ authToken: "t", lastEvalFile: file }).fetch("/ui/api/eval")).status).toBe(401);
  });
  const ask = { model: "claude-sonnet-4-6", max_tokens: 16, messages: [{ role: "user", content: "a private prompt" }] };

  it("serves the page with a policy that lets it load nothing from elsewhere", async () => {
    const response = await proxyWith().fetch("/ui");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(response.headers.get("content-security-policy")).toContain("connect-src 'self'");
  });

  it("says how to build the page when its files are missing, and 404s where no dashboard is served", async () => {
    const missing = await proxyWith({ assetsDir: join(assetsDir, "nowhere") }).fetch("/ui/app.js");
    expect(missing.status).toBe(503);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain("npm run build");
    expect((await createTestProxy().fetch("/ui")).status).toBe(404);
  });

  it("streams a snapshot, then each request as it ends, with heartbeats", async () => {
    const proxy = proxyWith();
    const events = await proxy.fetch("/ui/events");
    expect(events.headers.get("content-type")).toBe("text/event-stream");
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) text += (await reader.read()).value ?? "";
    };
    await readUntil("event: snapshot");
    const answer = await proxy.post("/v1/messages", ask);
    expect(answer.status).toBe(200);
    await answer.text();
    await readUntil('"model":"claude-sonnet-4-6"');
    await readUntil(": ping");
    expect(text).toContain("event: request");
    expect(text).not.toContain("a private prompt");
    await reader.cancel();
  });

  it("shows a request under way with its server's prefill progress (mlx's keepalive count), on /ui/events too, and drops it at its end", async () => {
    const proxy = proxyWith();
    const reader = (await proxy.fetch("/ui/events")).body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) text += (await reader.read()).value ?? "";
    };
    await readUntil("event: snapshot");
    mlx.script({ text: "done", prefillMs: 2_000 });
    const answering = proxy.post("/v1/messages", { ...ask, stream: true });
    type Snapshot = { inFlight?: Array<{ phase: string; profile?: string; prefill?: { done: number; total: number } }> };
    let underWay: NonNullable<Snapshot["inFlight"]>[number] | undefined;
    // Until the server's first `: keepalive 0/N` has come through the proxy (the answer takes 2 s to begin).
    while (underWay?.prefill === undefined) {
      const snapshot = (await (await proxy.fetch("/ui/api/snapshot")).json()) as Snapshot;
      underWay = snapshot.inFlight?.[0];
      await nextTurn();
    }
    expect(underWay).toMatchObject({ phase: "prefill", profile: medium().name, prefill: { done: 0 } });
    expect(underWay.prefill.total).toBeGreaterThan(0);
    await readUntil("event: inFlight");
    await (await answering).text();
    expect(((await (await proxy.fetch("/ui/api/snapshot")).json()) as Snapshot).inFlight).toEqual([]);
    await reader.cancel();
  });

  it("gives a third /ui/events client the oldest one's place: the oldest is told and its stream ends (issue 24)", async () => {
    const proxy = proxyWith();
    const open = async () => (await proxy.fetch("/ui/events")).body!.pipeThrough(new TextDecoderStream()).getReader();
    const oldest = await open();
    const second = await open();
    const newest = await open();
    let text = "";
    for (;;) {
      const { done, value } = await oldest.read();
      if (done) break;
      text += value;
    }
    expect(text).toContain("event: evicted");
    expect((await newest.read()).value).toContain("event: snapshot");
    await Promise.all([second.cancel(), newest.cancel()]);
  });

  it("answers no other web site: a page elsewhere gets neither the dashboard nor its data", async () => {
    const proxy = proxyWith();
    for (const path of ["/ui", "/ui/events", "/ui/api/snapshot"]) {
      expect((await proxy.fetch(path, { headers: { origin: "http://evil.example" } })).status, path).toBe(403);
      expect((await proxy.fetch(path, { headers: { "sec-fetch-site": "cross-site" } })).status, path).toBe(403);
    }
  });

  it("refuses the data without the token, and gives it with the token", async () => {
    const proxy = proxyWith({ authToken: "tok-123" });
    expect((await proxy.fetch("/ui")).status).toBe(200);
    for (const path of ["/ui/events", "/ui/api/snapshot", "/ui/api/config", "/ui/api/requests/x"]) expect((await proxy.fetch(path)).status, path).toBe(401);
    expect((await proxy.fetch("/ui/api/snapshot", { headers: { authorization: "Bearer tok-123" } })).status).toBe(200);
  });

  it("explains a recent request with its prompt hidden (or shown with dashboard_prompts), and says when one is not kept", async () => {
    for (const showPrompts of [false, true]) {
      const proxy = proxyWith({ showPrompts });
      const answer = await proxy.post("/v1/messages", ask);
      await answer.text();
      const id = answer.headers.get("request-id")!;
      await new Promise((resolve) => setTimeout(resolve, 20));
      const explained = (await (await proxy.fetch(`/ui/api/requests/${id}`)).json()) as { prompts: boolean; files: LastRequestFiles };
      expect(explained.prompts).toBe(showPrompts);
      expect(explained.files["upstream.json"].includes("a private prompt")).toBe(showPrompts);
      expect(JSON.parse(explained.files["route.json"])).toMatchObject({ routed: true, profile: expect.any(String) });
    }
    const unknown = await proxyWith().fetch("/ui/api/requests/req_gone");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain("only the most recent requests");
  });

  it("answers a stop or start of a server it does not supervise with a clear 404", async () => {
    const response = await proxyWith().post("/ui/api/servers/nope/stop", "");
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe("mallex supervises no model server nope");
  });
});
