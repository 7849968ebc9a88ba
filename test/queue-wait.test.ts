/**
 * Waiting you can see: a streamed request that waits for its turn in a backend's queue (or for its
 * model server) longer than a ping interval begins its answer and pings until the backend answers;
 * the log line and /metrics say how long it waited, and the learned prefill rate leaves the wait out.
 */
import Anthropic from "@anthropic-ai/sdk";
import { toNodeHandler } from "h3";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveBackends } from "../src/backends/resolve-backends.js";
import { packageRoot } from "./helpers/config-tree.js";
import { createBackendQueues } from "../src/backends/backend-queue.js";
import { createApp } from "../src/server/create-app.js";
import { supervisionFor } from "../src/backends/supervision-defaults.js";
import { createSupervisorPool } from "../src/backends/supervisor-pool.js";
import { createSupervisor } from "../src/supervisor/create-supervisor.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { parseSSE } from "./fakes/read-sse.js";
import { parseExposition } from "./helpers/parse-exposition.js";
import { createTestProxy, defaultTable, type TestProxy } from "./helpers/test-proxy.js";

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  closers = [];
});

async function fakeMlx(options: Parameters<typeof createFakeMlxServer>[0]): Promise<FakeMlxServer> {
  const server = await createFakeMlxServer(options);
  closers.push(() => server.close());
  return server;
}

function queuedProxy(backendUrl: string, options: { maxWaiting?: number } = {}) {
  return createTestProxy({
    backendUrl,
    ctx: { pingIntervalMs: 40, queues: createBackendQueues(() => ({ maxInFlight: 1, maxWaiting: options.maxWaiting ?? 4 })) },
  });
}

const ask = (text: string, stream = true) => ({ model: "claude-opus-4-8", max_tokens: 64, stream, messages: [{ role: "user", content: text }] });

interface Timed {
  type: string;
  at: number;
  error?: { type: string; message: string };
}

/** The stream's events with the time each arrived (performance.now()). */
async function timedEvents(response: Response): Promise<Timed[]> {
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const events: Timed[] = [];
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of response.body!) {
    text += decoder.decode(chunk, { stream: true });
    const complete = text.slice(0, text.lastIndexOf("\n\n") + 2);
    text = text.slice(complete.length);
    for (const event of parseSSE(complete))
      if (event.comment === undefined) events.push({ ...(JSON.parse(event.data) as Omit<Timed, "at">), at: performance.now() });
  }
  return events;
}

/** The proxy served on a port, as clients meet it (its base URL). */
async function listen(proxy: TestProxy): Promise<string> {
  const server = createServer(toNodeHandler(createApp(proxy.ctx)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A server that takes 200 ms to refuse every request (by default a model server failing while it loads): its base URL. */
async function slowlyRefusingBackend(status = 503, message = "model is still loading", headers: Record<string, string> = {}): Promise<string> {
  const server: Server = createServer((_req, res) => {
    setTimeout(() => res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify({ error: { message } })), 200);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => {
    server.closeAllConnections(); // mallex keeps its connection to a backend alive
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

describe("a request waiting for its backend", () => {
  it("begins its answer and pings while it waits in the queue, then streams the answer; the log and /metrics say how long it waited", async () => {
    const mlx = await fakeMlx({ tokenDelayMs: 50 });
    const proxy = queuedProxy(mlx.url);
    const first = await proxy.post("/v1/messages", ask("Say hello to the first one."));
    const firstDone = timedEvents(first).then((events) => events.at(-1)!.at);
    const second = await proxy.post("/v1/messages", ask("Say hello to the second one."));
    // While the second waits, /metrics shows it in the backend's queue.
    const during = parseExposition(await (await proxy.fetch("/metrics")).text());
    expect(during.find((s) => s.name === "mallex_backend_in_flight" && s.labels.backend === "mlx")?.value).toBe(1);
    expect(during.find((s) => s.name === "mallex_backend_queue_depth" && s.labels.backend === "mlx")?.value).toBe(1);
    const events = await timedEvents(second);
    const firstEnded = await firstDone;

    // message_start and pings went out before the first request let go of the backend…
    expect(events[0]!.type).toBe("message_start");
    const waiting = events.filter((event) => event.at < firstEnded);
    expect(waiting.filter((event) => event.type === "ping").length).toBeGreaterThanOrEqual(2);
    expect(waiting.every((event) => event.type === "message_start" || event.type === "ping")).toBe(true);
    // …then its own answer, once, complete.
    expect(events.filter((event) => event.type === "message_start")).toHaveLength(1);
    expect(events.map((event) => event.type).filter((type) => type !== "ping")).toEqual([
      "message_start",
      "content_block_start",
      ...events.filter((e) => e.type === "content_block_delta").map(() => "content_block_delta"),
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);

    const lines = proxy.logs.filter((line) => line.includes("claude-opus-4-8 →"));
    expect(lines).toHaveLength(2);
    const waited = lines.map((line) => Number(/queued (\d+\.\d+) s/.exec(line)?.[1] ?? 0));
    expect(waited[0]).toBe(0); // the first did not wait: its line says nothing of it
    expect(waited[1]).toBeGreaterThan(0.1);

    const metrics = parseExposition(await (await proxy.fetch("/metrics")).text());
    const count = metrics.find((s) => s.name === "mallex_queue_wait_seconds_count");
    const sum = metrics.find((s) => s.name === "mallex_queue_wait_seconds_sum");
    expect(count?.value).toBe(2);
    expect(sum?.value).toBeGreaterThan(0.1);
    expect(metrics.find((s) => s.name === "mallex_model_load_wait_seconds_count")?.value).toBe(2);
    expect(metrics.find((s) => s.name === "mallex_backend_queue_depth" && s.labels.backend === "mlx")?.value).toBe(0);
  });

  it("is an ordinary stream to the Anthropic SDK over a socket: the queued answer arrives whole, a failure after the wait is its APIError", async () => {
    const mlx = await fakeMlx({ tokenDelayMs: 40 });
    const proxy = queuedProxy(mlx.url);
    const client = new Anthropic({ apiKey: "test-key", baseURL: await listen(proxy), maxRetries: 0 });
    const first = client.messages.stream(ask("Say hello to the first one.") as never).finalMessage();
    const second = await client.messages.stream(ask("Say hello to the second one.") as never).finalMessage();
    expect(second.stop_reason).toBe("end_turn");
    expect(second.content).toEqual([{ type: "text", text: expect.stringContaining("second one") }]);
    expect((await first).stop_reason).toBe("end_turn");
    expect(proxy.logs.some((line) => /queued \d+\.\d+ s/.test(line))).toBe(true);

    const failing = new Anthropic({ apiKey: "test-key", baseURL: await listen(queuedProxy(await slowlyRefusingBackend())), maxRetries: 0 });
    await expect(failing.messages.stream(ask("Say hello.") as never).finalMessage()).rejects.toThrow(/model is still loading/);
  });

  it("answers at once, with no ping before its answer, when it did not wait", async () => {
    const mlx = await fakeMlx({});
    const proxy = queuedProxy(mlx.url);
    const events = await timedEvents(await proxy.post("/v1/messages", ask("Say hello.")));
    expect(events.map((event) => event.type).slice(0, 3)).toEqual(["message_start", "ping", "content_block_start"]);
    expect(proxy.logs.join("\n")).not.toMatch(/queued|waited/);
  });

  it("ends a begun answer with the backend's error as the stream's error event, and frees the queue", async () => {
    const proxy = queuedProxy(await slowlyRefusingBackend());

    const events = await timedEvents(await proxy.post("/v1/messages", ask("Say hello.")));
    expect(events[0]!.type).toBe("message_start");
    expect(events.some((event) => event.type === "ping")).toBe(true);
    const last = events.at(-1)!;
    expect(last.type).toBe("error");
    // Its HTTP status (503, worth a retry) cannot be sent any more: an overloaded_error, which Claude Code retries from a stream.
    expect(last.error!.type).toBe("overloaded_error");
    expect(last.error!.message).toMatch(/model is still loading/);
    expect(proxy.logs.join("\n")).not.toMatch(/internal error|mallex failed/);
    expect(proxy.ctx.queues!.stats("mlx")).toEqual({ inFlight: 0, waiting: 0 });
  });

  it("keeps a failure's meaning in a begun answer: retry advice as overloaded_error with the wait asked for, a refusal as it was", async () => {
    const limited = await timedEvents(
      await queuedProxy(await slowlyRefusingBackend(429, "too many requests", { "retry-after": "3" })).post("/v1/messages", ask("Say hello.")),
    );
    expect(limited.at(-1)!.error).toEqual({ type: "overloaded_error", message: expect.stringMatching(/too many requests.*\(retry after 3 s\)$/) });
    const refused = await timedEvents(
      await queuedProxy(await slowlyRefusingBackend(400, "prompt is too long: 40000 tokens > 32768")).post("/v1/messages", ask("Say hello.")),
    );
    expect(refused.at(-1)!.error).toEqual({ type: "invalid_request_error", message: expect.stringContaining("prompt is too long") });
  });

  it("leaves the queue when its client goes away while it waits; the next request is served", async () => {
    const mlx = await fakeMlx({ tokenDelayMs: 40 });
    const proxy = queuedProxy(mlx.url);
    const first = await proxy.post("/v1/messages", ask("Say hello to the first one."));
    const abort = new AbortController();
    const second = await proxy.fetch("/v1/messages", {
      method: "POST",
      body: JSON.stringify(ask("Say hello to the second one.")),
      headers: { "content-type": "application/json" },
      signal: abort.signal,
    });
    const reader = second.body!.getReader();
    await reader.read(); // message_start: it waits
    abort.abort();
    await reader.cancel().catch(() => {});
    await timedEvents(first);
    const third = await timedEvents(await proxy.post("/v1/messages", ask("Say hello to the third one.")));
    expect(third.at(-1)!.type).toBe("message_stop");
    // The second never reached the backend.
    const asked = mlx.requests.filter((r) => r.path.startsWith("/v1/chat/completions")).map((r) => JSON.stringify(r.body));
    expect(asked.some((body) => body.includes("second one"))).toBe(false);
    expect(proxy.ctx.queues!.stats("mlx")).toEqual({ inFlight: 0, waiting: 0 });
  });

  it("pings while its model server starts, and says how long it waited for it", async () => {
    const command = `node ${join(packageRoot, "test/fakes/mlx-lm-server-cli.js")} --model my-org/Tiny-Coder --port {port} --load-ms 400`;
    const supervisors = createSupervisorPool(defaultTable, {
      serverCommand: command,
      defaults: await supervisionFor(command, packageRoot),
      create: (spec) => createSupervisor(spec, { mallexHome: mkdtempSync(join(tmpdir(), "mallex-wait-")), onEvent: () => {} }),
    });
    closers.push(() => Promise.all(supervisors.all().map((supervisor) => supervisor.stop())).then(() => {}));
    const proxy = createTestProxy({
      ctx: { pingIntervalMs: 40, supervisors, backends: resolveBackends(defaultTable, {}, { supervised: supervisors.backends }) },
    });

    const events = await timedEvents(await proxy.post("/v1/messages", ask("Say hello.")));
    const firstContent = events.findIndex((event) => event.type === "content_block_start");
    expect(events[0]!.type).toBe("message_start");
    expect(events.slice(1, firstContent).filter((event) => event.type === "ping").length).toBeGreaterThanOrEqual(3);
    expect(events.at(-1)!.type).toBe("message_stop");
    const line = proxy.logs.find((l) => l.includes("claude-opus-4-8 →"))!;
    expect(Number(/waited (\d+\.\d+) s for the model server/.exec(line)?.[1])).toBeGreaterThanOrEqual(0.4);
  });

  it("answers a request that asked for no stream in one piece after its wait", async () => {
    const mlx = await fakeMlx({ tokenDelayMs: 30 });
    const proxy = queuedProxy(mlx.url);
    const first = proxy.post("/v1/messages", ask("Say hello to the first one."));
    const second = await proxy.post("/v1/messages", ask("Say hello to the second one.", false));
    expect(second.status).toBe(200);
    expect(((await second.json()) as { type: string }).type).toBe("message");
    await timedEvents(await first);
  });
});
