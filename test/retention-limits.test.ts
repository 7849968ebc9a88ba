/**
 * Issue 24: what mallex keeps of a request once it is done is capped, one by one and in total
 * (src/shared/retention-limits.ts): a client's model, each body, the dashboard's explanations, a log line,
 * an upstream error body, the prefix cache's parts.
 */
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBodyStart } from "../src/shared/read-body-text.js";
import { clipText, heldBytes, RETENTION_LIMITS } from "../src/shared/retention-limits.js";
import { createDashboardFeed } from "../src/observe/dashboard/dashboard-feed.js";
import type { LastRequestFiles } from "../src/observe/format-last-request.js";
import { createLogWriter } from "../src/observe/log-file.js";
import { createRedactor } from "../src/observe/redact-secrets.js";
import { createRequestWatcher } from "../src/observe/request-watch.js";
import { createUpstreamClient } from "../src/backends/upstream-client.js";
import { createPrefixCache } from "../src/trim/prefix-cache.js";
import { runSteps, type Steps } from "../src/trim/run-steps.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { createTestProxy, defaultTable } from "./helpers/test-proxy.js";
import { packageRoot, validator, writeTree } from "./helpers/config-tree.js";
import { compileConfig } from "../src/compile/compile-config.js";

const FILES: LastRequestFiles = { "request.json": "{}", "upstream.json": "{}", "route.json": "{}", "response.json": "{}" };

describe("clipText", () => {
  it("keeps a short text as it is and a long one's start, saying how much was cut", () => {
    expect(clipText("claude-sonnet-4-6", 256)).toBe("claude-sonnet-4-6");
    expect(clipText("a".repeat(10), 4)).toBe("aaaa… [6 more chars cut by mallex]");
  });

  it("given the whole's length, says how much was cut of the whole when it is handed only a start", () => {
    expect(clipText("a".repeat(10), 4, 1_000)).toBe("aaaa… [996 more chars cut by mallex]");
    expect(clipText("abc", 4, 3)).toBe("abc");
  });
});

describe("heldBytes", () => {
  it("counts a character as V8 holds it: one byte while all are Latin-1, two once one is not", () => {
    expect(heldBytes("abc é")).toBe(5);
    expect(heldBytes("abc…")).toBe(8);
    expect(heldBytes("")).toBe(0);
  });
});

describe("the dashboard's explanations", () => {
  it("are bounded in bytes as well as in number: the oldest go first, one larger than the budget is not kept", () => {
    const feed = createDashboardFeed({
      table: defaultTable,
      maxRequests: 10,
      maxExplanations: 10,
      maxExplanationBytes: 1_000,
      maxClients: 1,
      pollMs: 50,
      date: () => new Date(),
    });
    feed.keepExplanation("a", () => FILES, 400);
    feed.keepExplanation("b", () => FILES, 400);
    feed.keepExplanation("c", () => FILES, 400);
    expect(feed.explanation("a")).toBeUndefined();
    expect(feed.explanation("b")).toEqual(FILES);
    expect(feed.explanation("c")).toEqual(FILES);
    feed.keepExplanation("huge", () => FILES, 1_001);
    expect(feed.explanation("huge")).toBeUndefined();
    expect(feed.explanation("c")).toEqual(FILES);
  });
});

describe("the prefix cache", () => {
  it("does not keep a system prompt longer than its part limit (it is trimmed on each request instead)", () => {
    const cache = createPrefixCache({ maxPartChars: 100 });
    const long = JSON.stringify("s".repeat(200));
    const plan = { profile: { name: "p" }, size: "small" } as never;
    const context = { preamble: [], loaded: new Set<string>(), claudeCode: false, agent: false } as never;
    const chars = { system: 0, messages: 0, tools: 0 };
    let made = 0;
    // A make() that trims without pausing.
    const make = function* (): Steps<never> {
      made += 1;
      return {} as never;
    };
    for (let i = 0; i < 2; i++) runSteps(cache.prefix(plan, { systemJson: long, chars } as never, { system: "s".repeat(200) } as never, context, make));
    expect(made).toBe(2);
    expect(cache.parsed("system", long)).toBeUndefined();
    const short = JSON.stringify("short");
    for (let i = 0; i < 2; i++) runSteps(cache.prefix(plan, { systemJson: short, chars } as never, { system: "short" } as never, context, make));
    expect(made).toBe(3);
  });
});

describe("mallex.log", () => {
  it("writes a line with a 5 MB model name as at most logLineChars, so it does not rotate the log", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "mallex-log-")), "mallex.log");
    const log = createLogWriter(file, { rotation: { maxBytes: 10 * 1024 * 1024, maxFiles: 2 } });
    for (let i = 0; i < 5; i++) log.write(`${"m".repeat(5 * 1024 * 1024)} → coder (default → medium)`);
    await log.close();
    expect(statSync(file).size).toBeLessThan(5 * (RETENTION_LIMITS.logLineChars + 200));
    expect(readFileSync(file, "utf8")).toContain("more chars cut by mallex");
  });
});

describe("an upstream error body", () => {
  it("is read to its limit only, the rest left unread", async () => {
    let pulled = 0;
    const body = new Readable({
      read() {
        pulled += 1;
        this.push(pulled > 1_000 ? null : Buffer.alloc(64 * 1024, "e"));
      },
    });
    const start = await readBodyStart(body, RETENTION_LIMITS.errorBodyBytes);
    expect(start.cut).toBe(true);
    expect(start.text.length).toBe(RETENTION_LIMITS.errorBodyBytes);
    expect(pulled).toBeLessThan(10);
  });
});

describe("a long model name through the proxy (in process)", () => {
  let mlx: FakeMlxServer;
  beforeAll(async () => {
    mlx = await createFakeMlxServer();
  });
  afterAll(() => mlx.close());

  const proxyWithFeed = () => {
    const feed = createDashboardFeed({ table: defaultTable, maxRequests: 10, maxExplanations: 10, maxClients: 1, pollMs: 50, date: () => new Date() });
    const kept: number[] = [];
    const watchRequest = createRequestWatcher({
      level: 0,
      debug: () => {},
      redact: createRedactor([]),
      table: defaultTable,
      upstream: createUpstreamClient(),
      keep: (id, files, bytes) => (kept.push(bytes), feed.keepExplanation(id, files, bytes)),
      now: () => performance.now(),
      date: () => new Date(),
    });
    const proxy = createTestProxy({
      backendUrl: mlx.url,
      ctx: { dashboard: { feed, assetsDir: tmpdir(), showPrompts: true, heartbeatMs: 1_000 }, ...(watchRequest ? { watchRequest } : {}) },
    });
    return { feed, kept, proxy };
  };

  it("over MAX_MODEL_CHARS (2 MB) is refused with a clear 400, and the dashboard keeps only a bounded trace of it", async () => {
    const { feed, kept, proxy } = proxyWithFeed();
    const answer = await proxy.post("/v1/messages", {
      model: `claude-${"x".repeat(2 * 1024 * 1024)}`,
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toBe(
      `model: a model name has at most 1,024 characters; this one has ${(2 * 1024 * 1024 + 7).toLocaleString("en-US")}.`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(JSON.stringify(feed.snapshot()).length).toBeLessThan(10_000);
    // The client's body is kept to bodyChars, not whole; clipped, it ends in "…", so V8 holds it two bytes a character.
    expect(kept[0]).toBeGreaterThan(2 * RETENTION_LIMITS.bodyChars);
    expect(kept[0]).toBeLessThan(2 * RETENTION_LIMITS.bodyChars + 100_000);
    const id = feed.snapshot().requests[0]!.id;
    expect(feed.explanation(id)!["request.json"]).toContain("more chars cut by mallex");
  });

  it("never becomes a metrics label: /metrics has as many series after a hundred client-chosen models as after one", async () => {
    const { proxy } = proxyWithFeed();
    const series = async () => (await (await proxy.fetch("/metrics")).text()).split("\n").filter((line) => line.startsWith("mallex_requests_total")).length;
    await (await proxy.post("/v1/messages", { model: "claude-first", max_tokens: 16, messages: [{ role: "user", content: "hi" }] })).text();
    const after = await series();
    expect(after).toBeGreaterThan(0);
    for (let i = 0; i < 100; i++)
      await (await proxy.post("/v1/messages", { model: `client-model-${i}`, max_tokens: 16, messages: [{ role: "user", content: "hi" }] })).text();
    expect(await series()).toBe(after);
    expect(await (await proxy.fetch("/metrics")).text()).not.toContain("client-model-");
  });

  it("within it is kept clipped to modelChars in the summary, the route header, the log and the answer", async () => {
    const { feed, proxy } = proxyWithFeed();
    const model = `claude-${"x".repeat(1_000)}`;
    const answer = await proxy.post("/v1/messages", { model, max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
    const text = await answer.text();
    expect(answer.status).toBe(200);
    expect(text).not.toContain(model);
    expect(text).toContain("cut by mallex");
    expect(answer.headers.get("x-mallex-route") ?? "").not.toContain(model);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const summary = feed.snapshot().requests[0]!;
    expect(summary.model.length).toBeLessThan(RETENTION_LIMITS.modelChars + 60);
    expect(Math.max(...proxy.logs.map((line) => line.length))).toBeLessThan(RETENTION_LIMITS.modelChars + 1_000);
  });
});

describe("an Anthropic API error that echoes the key", () => {
  let api: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        // A gateway that echoes what it got: the key mallex sent comes back in the error.
        const echoed = JSON.stringify({
          type: "error",
          error: { type: "api_error", message: `internal error; request headers: x-api-key=${String(req.headers["x-api-key"])}` },
        });
        if (req.url?.includes("huge")) return void res.writeHead(500, { "content-type": "text/plain" }).end(`${echoed}${"z".repeat(1024 * 1024)}`);
        res.writeHead(500, { "content-type": "application/json" }).end(echoed);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    api = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
  });
  afterAll(() => api.close());

  it.each(["", "/huge"])("hands the client the error without the key, and at most errorBodyBytes of it (%s)", async (path) => {
    // Not key-shaped (no sk-): only knowing it as the backend's key redacts it.
    const key = "anthropic-proxy-secret-0123456789";
    const dir = writeTree({
      "mallex.yaml": `backends:
  local: { kind: openai, flavor: mlx-lm, base_url: "http://127.0.0.1:9/v1" }
  anthropic: { kind: anthropic, base_url: "${api.url}${path}", api_key: "\${ANTHROPIC_API_KEY}" }
profiles:
  claude: { backend: anthropic, model: claude-sonnet-4-6, size: large }
tiers:
  medium: { profile: claude }
`,
    });
    const compiled = compileConfig({ configPath: join(dir, "mallex.yaml"), outDir: join(dir, "generated"), cwd: tmpdir(), env: {}, packageRoot, validator });
    expect(compiled.diagnostics).toEqual([]);
    const proxy = createTestProxy({ table: compiled.table!, env: { ANTHROPIC_API_KEY: key } });
    const answer = await proxy.post("/v1/messages", { model: "claude-opus-4-8", max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
    const text = await answer.text();
    expect(answer.status).toBe(500);
    expect(text).not.toContain(key);
    expect(text).toContain("[redacted]");
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(RETENTION_LIMITS.errorBodyBytes);
  });
});
