import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { parseExposition, sumOf } from "./helpers/parse-exposition.js";
import { closedBackendUrl, createTestProxy, defaultTable } from "./helpers/test-proxy.js";

const userMessage = (text: string, extra: Record<string, unknown> = {}) => ({
  model: "claude-opus-4-8",
  max_tokens: 1000,
  messages: [{ role: "user", content: text }],
  ...extra,
});
const MEDIUM_LOCAL = /^tier=medium; profile=qwen3-coder-30b; backend=local; reason="default \\u2192 medium"$/;

let mlx: FakeMlxServer;
beforeAll(async () => {
  mlx = await createFakeMlxServer();
});
afterAll(() => mlx.close());

describe("x-mallex-route and GET /metrics, in process", () => {
  it("names the route on streamed, one-piece and failed answers, and counts each request once", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    mlx.script({ text: ["The", " answer", "."] }, { text: "Four." });
    const streamed = await proxy.post("/v1/messages", userMessage("2+2?", { stream: true }));
    expect(streamed.headers.get("x-mallex-route")).toMatch(MEDIUM_LOCAL);
    expect(await streamed.text()).toContain("message_stop");
    const whole = await proxy.post("/v1/messages", userMessage("2+2?"));
    expect(whole.headers.get("x-mallex-route")).toMatch(MEDIUM_LOCAL);
    await whole.json();
    mlx.script({ failure: "http-error", status: 500 });
    const failed = await proxy.post("/v1/messages", userMessage("2+2?"));
    expect(failed.status).toBe(502);
    expect(failed.headers.get("x-mallex-route")).toMatch(MEDIUM_LOCAL);
    // Refused before routing: no route to name, counted as tier none.
    const refused = await proxy.post("/v1/messages", "{not json");
    expect(refused.status).toBe(400);
    expect(refused.headers.get("x-mallex-route")).toBeNull();

    const metrics = await proxy.fetch("/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toBe("text/plain; version=0.0.4");
    const samples = parseExposition(await metrics.text());
    const medium = { tier: "medium", profile: "qwen3-coder-30b", backend: "local" };
    expect(sumOf(samples, "mallex_requests_total", { ...medium, status: "200", outcome: "ok" })).toBe(2);
    expect(sumOf(samples, "mallex_requests_total", { ...medium, status: "502", outcome: "error" })).toBe(1);
    expect(sumOf(samples, "mallex_requests_total", { tier: "none", status: "400", outcome: "error" })).toBe(1);
    expect(sumOf(samples, "mallex_requests_total")).toBe(4);
    expect(sumOf(samples, "mallex_request_errors_total", medium)).toBe(1);
    expect(sumOf(samples, "mallex_request_duration_seconds_count", medium)).toBe(3);
    expect(sumOf(samples, "mallex_time_to_first_token_seconds_count", medium)).toBe(1);
    expect(sumOf(samples, "mallex_output_tokens_total", medium)).toBeGreaterThan(0);
    expect(sumOf(samples, "mallex_prompt_tokens_total", medium)).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === "mallex_cached_tokens_total")).toBe(true);
    const buckets = samples.filter((s) => s.name === "mallex_request_duration_seconds_bucket" && s.labels.tier === "medium");
    expect(buckets.at(-1)).toMatchObject({ labels: { le: "+Inf" }, value: 3 });
    expect(buckets.map((b) => b.value)).toEqual([...buckets.map((b) => b.value)].sort((a, b) => a - b));
  });

  it("names the route of an error after routing, and of a stream a client cancels", async () => {
    const down = createTestProxy({ backendUrl: await closedBackendUrl() });
    const response = await down.post("/v1/messages", userMessage("2+2?", { stream: true }));
    expect(response.status).toBe(503);
    expect(response.headers.get("x-mallex-route")).toMatch(MEDIUM_LOCAL);

    const proxy = createTestProxy({ backendUrl: mlx.url });
    mlx.script({ text: Array.from({ length: 50 }, (_, i) => `t${i} `), tokenDelayMs: 20 });
    const streamed = await proxy.post("/v1/messages", userMessage("count", { stream: true }));
    const reader = streamed.body!.getReader();
    await reader.read();
    await reader.cancel();
    const samples = parseExposition(await (await proxy.fetch("/metrics")).text());
    expect(sumOf(samples, "mallex_requests_total", { tier: "medium", outcome: "cancelled" })).toBe(1);
  });

  it("names the anthropic backend for a forwarded answer", async () => {
    const fake = createServer((req, res) => {
      req.resume();
      req.on("end", () =>
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({
            id: "msg_1",
            type: "message",
            role: "assistant",
            content: [],
            stop_reason: "end_turn",
            usage: { input_tokens: 1, output_tokens: 1 },
          }),
        ),
      );
    });
    await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
    const table = structuredClone(defaultTable);
    table.backends.anthropic!.baseUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    const proxy = createTestProxy({ backendUrl: mlx.url, table, env: { ANTHROPIC_API_KEY: "sk-test" } });
    const high = Object.values(table.profiles).find((p) => table.backends[p.backend]?.kind === "anthropic")!;
    const response = await proxy.post("/v1/messages", userMessage("hi", { model: high.name }));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-mallex-route")).toMatch(new RegExp(`^tier=high; profile=${high.name}; backend=anthropic; reason=`));
    await response.json();
    const samples = parseExposition(await (await proxy.fetch("/metrics")).text());
    expect(sumOf(samples, "mallex_requests_total", { tier: "high", backend: "anthropic", status: "200", outcome: "ok" })).toBe(1);
    fake.close();
  });

  it("asks for the token on /metrics off loopback, not on it", async () => {
    const local = createTestProxy({ backendUrl: mlx.url, ctx: { authToken: "s3cret" } });
    expect((await local.fetch("/metrics")).status).toBe(200);
    const table = structuredClone(defaultTable);
    table.server.host = "0.0.0.0";
    const open = createTestProxy({ backendUrl: mlx.url, table, ctx: { authToken: "s3cret" } });
    expect((await open.fetch("/metrics")).status).toBe(401);
    expect((await open.fetch("/metrics", { headers: { authorization: "Bearer s3cret" } })).status).toBe(200);
  });
});

describe("through the real CLI process", () => {
  let proxy: MallexProxyProcess;
  beforeAll(async () => {
    proxy = await startProxyProcess(["--backend-url", mlx.url]);
  });
  afterAll(() => proxy?.stop());

  it("sends x-mallex-route and counts the request by tier on /metrics", async () => {
    mlx.script({ text: ["Hi", "."] });
    const response = await fetch(`${proxy.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(userMessage("2+2?", { stream: true })),
    });
    expect(response.headers.get("x-mallex-route")).toMatch(/^tier=medium; .*backend=local/);
    await response.text();
    const metrics = await fetch(`${proxy.url}/metrics`);
    expect(metrics.headers.get("content-type")).toBe("text/plain; version=0.0.4");
    const text = await metrics.text();
    expect(text).toMatch(/^mallex_requests_total\{[^}]*tier="medium"[^}]*\} 1$/m);
  });
});
