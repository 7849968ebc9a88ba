/**
 * Upstream connections, counted on the server side: a keep-alive backend serves a session's
 * sequential requests on one connection; mlx-lm.server, which closes each connection after its
 * response (HTTP/1.0), finds the next request's connection already open when the request comes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoutingTable } from "../src/compile/routing-table.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { createTestProxy, defaultTable } from "./helpers/test-proxy.js";

const ask = (text: string, extra: Record<string, unknown> = {}) => ({
  model: "claude-opus-4-8",
  max_tokens: 1024,
  messages: [{ role: "user", content: text }],
  ...extra,
});

/** The shipped table with its mlx backend said to be another kind of server. */
function tableWithFlavor(flavor: string): RoutingTable {
  const table = structuredClone(defaultTable);
  table.backends.mlx!.flavor = flavor;
  return table;
}

/** An OpenAI-compatible server on node:http (keep-alive, chunked streams) that counts its connections. */
async function startKeepAliveBackend() {
  const connections: number[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = "";
    req.setEncoding("utf8").on("data", (chunk: string) => (raw += chunk));
    req.on("end", () => {
      const body = JSON.parse(raw) as { stream?: boolean };
      const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
      if (!body.stream) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id: "c",
            object: "chat.completion",
            choices: [{ index: 0, message: { role: "assistant", content: "Hello there." }, finish_reason: "stop" }],
            usage,
          }),
        );
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const [content, finish] of [
        ["Hello", null],
        [" there.", "stop"],
      ] as const) {
        res.write(
          `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`,
        );
      }
      res.write(`data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", choices: [], usage })}\n\n`);
      res.end("data: [DONE]\n\n");
    });
  });
  server.on("connection", () => connections.push(performance.now()));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    connections,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("a keep-alive backend (llama-server, Ollama, LM Studio, vLLM, mallex engine)", () => {
  let backend: Awaited<ReturnType<typeof startKeepAliveBackend>>;
  beforeAll(async () => {
    backend = await startKeepAliveBackend();
  });
  afterAll(() => backend.close());

  it("serves sequential requests, streamed and not, on one connection, and opens no spare", async () => {
    const proxy = createTestProxy({ backendUrl: backend.url, table: tableWithFlavor("llama-server") });
    try {
      for (let i = 0; i < 6; i++) {
        const response = await proxy.post("/v1/messages", ask(`Question ${i}`, { stream: i % 2 === 0 }));
        expect(response.status).toBe(200);
        expect(await response.text()).toContain("there.");
        // A client sends its next request after it has read this answer, a turn of the event loop
        // at least; undici frees the connection one turn after the body's last byte.
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(backend.connections).toHaveLength(1);
    } finally {
      await proxy.ctx.upstream.close();
    }
  });
});

describe("mlx-lm.server: one response per connection", () => {
  let mlx: FakeMlxServer;
  beforeAll(async () => {
    mlx = await createFakeMlxServer();
  });
  afterAll(() => mlx.close());
  const generations = () => mlx.requests.filter((request) => request.path.endsWith("/chat/completions"));

  it("the connection for request k+1 is open before request k+1 is sent, streamed or not", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    const before = generations().length;
    const sentAt: number[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        mlx.script({ text: [`Answer ${i}.`] });
        sentAt.push(performance.now());
        const response = await proxy.post("/v1/messages", ask(`Question ${i}`, { stream: i % 2 === 0 }));
        expect(await response.text()).toContain(`Answer ${i}.`);
      }
      const served = generations().slice(before);
      expect(served).toHaveLength(6);
      // Each request came on its own connection (the server closes each one)…
      expect(new Set(served.map((request) => request.connection)).size).toBe(6);
      // …and every one after the first found its connection already open.
      for (let k = 1; k < served.length; k++) {
        expect(mlx.connections[served[k]!.connection]!.openedAt).toBeLessThan(sentAt[k]!);
      }
    } finally {
      await proxy.ctx.upstream.close();
    }
    // The spare left over is closed with the client.
    await expect.poll(() => mlx.connections.length - generations().length, { timeout: 1000 }).toBeLessThanOrEqual(1);
  });

  it("a spare the server dropped (a restart) is not used: the next request connects anew", async () => {
    const first = await createFakeMlxServer();
    const proxy = createTestProxy({ backendUrl: first.url });
    let second: FakeMlxServer | undefined;
    try {
      first.script({ text: ["First."] });
      expect(await (await proxy.post("/v1/messages", ask("One"))).text()).toContain("First.");
      await expect.poll(() => first.connections.length).toBe(2); // the answer's and the spare
      await first.close(); // destroys every connection, the spare included
      // A real restart takes seconds: the close has long reached mallex when the next request comes.
      await new Promise((resolve) => setTimeout(resolve, 100));
      second = await createFakeMlxServer({ port: first.port });
      second.script({ text: ["Second."] });
      expect(await (await proxy.post("/v1/messages", ask("Two"))).text()).toContain("Second.");
      expect(second.requests.at(-1)!.connection).toBe(0);
    } finally {
      await proxy.ctx.upstream.close();
      await second?.close();
    }
  });
});
