import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createKeepAliveAgent, post } from "../bench/http-post.js";
import { createChildren, type Children } from "../bench/peer-process.js";
import { findFreePort } from "../src/supervisor/supervisor-deps.js";

// The benchmarks' client (bench/http-post.js, bench/peer-process.js): `npm run bench:peers` failed
// with a bare "socket hang up" (issue 26). A request written on a keep-alive connection that its
// server closed as idle is sent again on a new connection; any other failure names the connection
// it happened on, and a proxy process it failed on says how it ended.

const ANSWER = 'data: {"choices":[{"delta":{"content":"4"}}]}\n\ndata: [DONE]\n\n';
const BODY = Buffer.from(JSON.stringify({ messages: [{ role: "user", content: "what is 2+2" }], stream: true }));
const HEADERS = { "content-type": "application/json" };

/**
 * An HTTP/1.1 server on raw sockets: the first request on each connection is answered and the
 * connection kept alive (as Node's http server does, announcing `Keep-Alive: timeout=5`); a request
 * after that on the same connection finds it closed unanswered — the state a client is in when the
 * server's keep-alive timer fired just as the request was written. `answerFirst: false` closes
 * every connection on its first request.
 */
async function startIdleClosingServer(answerFirst: boolean): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let received = Buffer.alloc(0);
    let requests = 0;
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const headEnd = received.indexOf("\r\n\r\n");
      if (headEnd < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(received.subarray(0, headEnd).toString("latin1"))?.[1] ?? 0);
      if (received.length < headEnd + 4 + length) return;
      received = received.subarray(headEnd + 4 + length);
      requests++;
      if (!answerFirst || requests > 1) return void socket.destroy();
      socket.write(
        `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: ${Buffer.byteLength(ANSWER)}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n${ANSWER}`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    connections: () => connections,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

describe("post (bench/http-post.js)", () => {
  it("sends a request again, on a new connection, when the idle keep-alive connection it was written on closes unanswered", async () => {
    const server = await startIdleClosingServer(true);
    const agent = createKeepAliveAgent({ maxSockets: 4 });
    cleanups.push(server.close, async () => agent.destroy());

    const first = await post(agent, server.url, BODY, HEADERS, "openai");
    expect(first.resent).toBe(false);
    expect(first.body.toString("utf8")).toBe(ANSWER);
    // Written on the first request's kept-alive connection, which the server closes: answered on a second one.
    const second = await post(agent, server.url, BODY, HEADERS, "openai");
    expect(second.resent).toBe(true);
    expect(second.body.toString("utf8")).toBe(ANSWER);
    expect(server.connections()).toBe(2);
  });

  it("does not send again a request whose new connection closed unanswered, and says which connection it was", async () => {
    const server = await startIdleClosingServer(false);
    const agent = createKeepAliveAgent({ maxSockets: 4 });
    cleanups.push(server.close, async () => agent.destroy());

    const failure = await post(agent, server.url, BODY, HEADERS, "openai").catch((error: unknown) => error as Error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(
      new RegExp(`^${server.url.replace(/[.]/g, "\\.")}: (socket hang up|read ECONNRESET) \\(ECONNRESET\\) on a new connection, before any response$`),
    );
    expect(server.connections()).toBe(1);
  });
});

describe("a proxy process a request failed on (bench/peer-process.js)", () => {
  let children: Children;
  afterEach(async () => {
    await children?.stopAll();
  });

  // A stand-in for a proxy that dies under a request: it answers /health, and exits with code 3 on a POST, saying what and why on stderr.
  const dyingProxy = (port: number) =>
    [
      `const server = require("node:http").createServer((req, res) => {`,
      `  if (req.method !== "POST") return res.end("ok");`,
      `  console.error("POST " + req.url);`,
      `  console.error("fatal: the proxy ran out of patience");`,
      `  process.exit(3);`,
      `});`,
      `server.listen(${port}, "127.0.0.1");`,
    ].join("\n");

  it("says how it exited and its last lines of output", async () => {
    children = createChildren();
    const port = await findFreePort();
    const child = await children.start("dying proxy", process.execPath, ["-e", dyingProxy(port)], { readyUrl: `http://127.0.0.1:${port}/health` });

    const failure = await post(false, `http://127.0.0.1:${port}/v1/messages`, BODY, HEADERS, "anthropic").catch((error: unknown) => error as Error);
    expect((failure as Error).message).toMatch(/\(ECONNRESET\) on a new connection, before any response$/);
    const described = await child.describe();
    expect(described).toBe(
      `dying proxy (pid ${child.pid}) exited with code 3; its last 2 lines of output:\n  POST /v1/messages\n  fatal: the proxy ran out of patience`,
    );
  });

  it("says that it still runs when it does", async () => {
    children = createChildren();
    const port = await findFreePort();
    const child = await children.start(
      "quiet proxy",
      process.execPath,
      ["-e", `require("node:http").createServer((req, res) => res.end("ok")).listen(${port}, "127.0.0.1")`],
      { readyUrl: `http://127.0.0.1:${port}/health` },
    );

    expect(await child.describe(20)).toBe(`quiet proxy (pid ${child.pid}) is still running; its last 0 lines of output:\n  (none)`);
  });
});
