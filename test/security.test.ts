/**
 * What a hostile web page or a misbehaving client can do to `mallex proxy`, proved against the real
 * CLI process: a foreign Host (DNS rebinding) or browser Origin gets 403 and reaches no backend; a
 * body over the limit gets 413 (declared or chunked) without the process growing; nesting past the
 * limit gets 400; a configured origin gets CORS; a full backend queue gets 529 at once.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { writeTree } from "./helpers/config-tree.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { parseExposition, sumOf } from "./helpers/parse-exposition.js";

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const message = { model: "claude-sonnet-4-6", max_tokens: 64, messages: [{ role: "user", content: "Say hi." }] };
const MB = 1024 * 1024;

/** A request over node:http, which (unlike fetch) sends any Host and Origin it is given. */
function send(url: string, init: { method?: string; path: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal }): Promise<Reply> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: init.method ?? "POST",
        path: init.path,
        headers: { "content-type": "application/json", ...init.headers },
        signal: init.signal,
      },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

/**
 * Posts `totalBytes` of body — declared in Content-Length, or chunked — in 1 MB pieces, as fast as the
 * server reads them, and resolves with the answer as soon as it comes (the server may close the
 * connection right after, which is not an error here). `sent`: how much the server let through.
 */
function postHuge(url: string, totalBytes: number, framing: "content-length" | "chunked"): Promise<Reply & { sent: number }> {
  const { port } = new URL(url);
  const piece = Buffer.alloc(MB, "a");
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const headers: Record<string, string> = {
      "content-type": "application/json",
      ...(framing === "content-length" ? { "content-length": String(totalBytes) } : { "transfer-encoding": "chunked" }),
    };
    const req = httpRequest({ host: "127.0.0.1", port, method: "POST", path: "/v1/messages", headers }, (res) => {
      answered = true;
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body, sent }));
      res.on("error", () => resolve({ status: res.statusCode!, headers: res.headers, body, sent }));
    });
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    const pump = () => {
      while (!answered && sent < totalBytes) {
        sent += piece.length;
        if (!req.write(piece)) return void req.once("drain", pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

/** Resident memory of a process, in MB (Linux). */
const rssMB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024;
const errorOf = (reply: Reply) => (JSON.parse(reply.body) as { type: string; error: { type: string; message: string } }).error;
const generations = (mlx: FakeMlxServer) => mlx.requests.filter((r) => r.path === "/v1/chat/completions").length;

describe("mallex proxy on its defaults", () => {
  let mlx: FakeMlxServer;
  let proxy: MallexProxyProcess;
  beforeAll(async () => {
    mlx = await createFakeMlxServer();
    proxy = await startProxyProcess(["--backend-url", mlx.url]);
  }, 30_000);
  afterAll(async () => {
    await proxy?.stop();
    await mlx?.close();
  });

  it("answers a request for a host that is not a loopback name 403, and no backend sees it", async () => {
    const before = generations(mlx);
    for (const host of ["evil.example", "evil.example:4141", "localhost.evil.example"]) {
      const reply = await send(proxy.url, { path: "/v1/messages", headers: { host }, body: JSON.stringify(message) });
      expect(reply.status).toBe(403);
      expect(errorOf(reply)).toMatchObject({ type: "permission_error", message: expect.stringContaining("server.allowed_hosts") });
    }
    expect((await send(proxy.url, { method: "GET", path: "/health", headers: { host: "evil.example" } })).status).toBe(403);
    expect(generations(mlx)).toBe(before);
    // The loopback names, with any port, are served.
    for (const host of ["localhost:4141", "127.0.0.1", "[::1]:1"])
      expect((await send(proxy.url, { path: "/v1/messages", headers: { host }, body: JSON.stringify(message) })).status).toBe(200);
  });

  it("answers a browser request from a foreign origin 403 (preflight included), and no backend sees it", async () => {
    const before = generations(mlx);
    const origin = await send(proxy.url, {
      path: "/v1/messages",
      headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      body: JSON.stringify(message),
    });
    expect(origin.status).toBe(403);
    expect(errorOf(origin)).toMatchObject({ type: "permission_error", message: expect.stringContaining("server.cors_origins") });
    expect(origin.headers["access-control-allow-origin"]).toBeUndefined();
    const preflight = await send(proxy.url, {
      method: "OPTIONS",
      path: "/v1/messages",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
    // A page's <img> or form sends no Origin on a GET, but Sec-Fetch-Site still says where it came from.
    expect((await send(proxy.url, { method: "GET", path: "/v1/models", headers: { "sec-fetch-site": "cross-site" } })).status).toBe(403);
    expect(generations(mlx)).toBe(before);
    // mallex's own origin (a dashboard it serves) is allowed.
    const own = await send(proxy.url, { path: "/v1/messages", headers: { origin: proxy.url, "sec-fetch-site": "same-origin" }, body: JSON.stringify(message) });
    expect(own.status).toBe(200);
  });

  it("answers 413 request_too_large to a declared Content-Length over 32 MB before reading it", async () => {
    const reply = await postHuge(proxy.url, 300 * MB, "content-length");
    expect(reply.status).toBe(413);
    expect(errorOf(reply)).toMatchObject({ type: "request_too_large", message: expect.stringContaining("server.max_body_mb") });
    expect(reply.sent).toBeLessThan(100 * MB);
  });

  it("stops reading a chunked body at the limit: 413, the process stays small, the next request works", async () => {
    const pid = proxy.process.pid!;
    const before = rssMB(pid);
    const reply = await postHuge(proxy.url, 300 * MB, "chunked");
    expect(reply.status).toBe(413);
    expect(errorOf(reply).type).toBe("request_too_large");
    expect(reply.sent).toBeLessThan(100 * MB);
    const after = rssMB(pid);
    // At most the 32 MB limit is ever held (a 300 MB body used to take the process to 2 GB).
    expect(after - before).toBeLessThan(128);
    expect((await send(proxy.url, { path: "/v1/messages", body: JSON.stringify(message) })).status).toBe(200);
  });

  it("accepts a body just under the limit", async () => {
    const big = { ...message, messages: [{ role: "user", content: `Summarise: ${"word ".repeat((30 * MB) / 5)}` }] };
    const reply = await send(proxy.url, { path: "/v1/messages/count_tokens", body: JSON.stringify(big) });
    expect(reply.status).toBe(200);
  }, 30_000);

  it("answers 400 to JSON nested deeper than 256 levels, and 404 to model ids that are Object's own keys", async () => {
    const deep = `{"model":"claude-sonnet-4-6","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"metadata":${"[".repeat(10_000)}${"]".repeat(10_000)}}`;
    const reply = await send(proxy.url, { path: "/v1/messages", body: deep });
    expect(reply.status).toBe(400);
    expect(errorOf(reply)).toMatchObject({ type: "invalid_request_error", message: expect.stringContaining("256 levels") });
    for (const id of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      expect((await send(proxy.url, { method: "GET", path: `/v1/models/${id}` })).status).toBe(404);
    }
  });
});

describe("mallex proxy with server.cors_origins and a small backend queue", () => {
  let mlx: FakeMlxServer;
  let proxy: MallexProxyProcess;
  beforeAll(async () => {
    mlx = await createFakeMlxServer();
    const dir = writeTree({
      "mallex.yaml": `server:
  cors_origins: ["http://localhost:5173"]
  max_in_flight_per_backend: 1
  max_waiting_per_backend: 1
backends:
  local: { kind: openai, flavor: mlx-lm, base_url: "http://127.0.0.1:8080/v1" }
profiles:
  small: { backend: local, model: test-model, size: small }
tiers:
  medium: { profile: small }
`,
    });
    proxy = await startProxyProcess(["--config", join(dir, "mallex.yaml"), "--backend-url", mlx.url]);
  }, 30_000);
  afterAll(async () => {
    await proxy?.stop();
    await mlx?.close();
  });

  it("answers the preflight of a configured origin and gives its requests CORS headers", async () => {
    const headers = { origin: "http://localhost:5173", "sec-fetch-site": "same-site" };
    const preflight = await send(proxy.url, {
      method: "OPTIONS",
      path: "/v1/messages",
      headers: { ...headers, "access-control-request-method": "POST", "access-control-request-headers": "x-api-key,anthropic-version,content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("http://localhost:5173");
    expect(preflight.headers["access-control-allow-methods"]).toContain("POST");
    const reply = await send(proxy.url, { path: "/v1/messages", headers, body: JSON.stringify(message) });
    expect(reply.status).toBe(200);
    expect(reply.headers["access-control-allow-origin"]).toBe("http://localhost:5173");
    expect(reply.headers["access-control-expose-headers"]).toContain("request-id");
    // Errors carry them too, so the page can read what went wrong.
    const bad = await send(proxy.url, { path: "/v1/messages", headers, body: "{}" });
    expect(bad.status).toBe(400);
    expect(bad.headers["access-control-allow-origin"]).toBe("http://localhost:5173");
    // Any other origin is still refused.
    expect((await send(proxy.url, { path: "/v1/messages", headers: { origin: "http://localhost:3000" }, body: JSON.stringify(message) })).status).toBe(403);
  });

  /** The requests waiting for the backend's queue, as the proxy's own /metrics gives them. */
  const queueDepth = async () => sumOf(parseExposition(await (await fetch(`${proxy.url}/metrics`)).text()), "mallex_backend_queue_depth");

  it("answers 529 overloaded_error at once when the backend's queue is full; a waiting client that leaves frees its place", async () => {
    const seen = generations(mlx);
    mlx.script({ text: "slow", prefillMs: 3000 });
    let firstEnded = false;
    const first = send(proxy.url, { path: "/v1/messages", body: JSON.stringify(message) }).finally(() => (firstEnded = true));
    await until(() => generations(mlx) > seen);
    const leaving = new AbortController();
    const waiting = send(proxy.url, { path: "/v1/messages", body: JSON.stringify(message), signal: leaving.signal }).catch((error: Error) => error);
    await expect.poll(queueDepth, { timeout: 10_000 }).toBe(1);

    const refused = await send(proxy.url, { path: "/v1/messages", body: JSON.stringify(message) });
    expect(refused.status).toBe(529);
    expect(errorOf(refused)).toMatchObject({ type: "overloaded_error", message: expect.stringContaining("server.max_waiting_per_backend") });
    // At once: refused while the request holding the backend still runs, not after waiting for it.
    expect(firstEnded).toBe(false);

    leaving.abort();
    expect(await waiting).toBeInstanceOf(Error);
    await expect.poll(queueDepth, { timeout: 10_000 }).toBe(0);
    // Its place is free again: this one waits instead of being refused, and runs after the first.
    const next = send(proxy.url, { path: "/v1/messages", body: JSON.stringify(message) });
    expect((await first).status).toBe(200);
    expect((await next).status).toBe(200);
    // The request that left never reached the backend.
    expect(generations(mlx) - seen).toBe(2);
  }, 30_000);
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
