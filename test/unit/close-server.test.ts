/**
 * The proxy's server closes once its answers are done: neither a client's unused spare connection
 * nor a kept-alive one that finished its answer after close() began holds it open. (Without this,
 * Node waits for the first's headers and for the client to let go of the second.)
 */
import { createServer, request, Agent, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { serverCloser } from "../../src/http/close-server.js";

let agent: Agent | undefined;
afterEach(() => agent?.destroy());

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer(handler);
  // Long enough that a test relying on them would time out: the closer must not wait for either.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 120_000;
  server.requestTimeout = 120_000;
  const close = serverCloser(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, close };
}

describe("serverCloser", () => {
  it("closes a connection that never sent a request", async () => {
    const { port, close } = await listen((_req, res) => res.end("ok"));
    const spare = connect(port, "127.0.0.1");
    await new Promise((resolve) => spare.once("connect", resolve));
    const ended = new Promise((resolve) => spare.once("close", resolve));
    await close();
    await ended;
    expect(spare.destroyed).toBe(true);
  });

  it("lets an answer under way finish, then closes its kept-alive connection at once", async () => {
    let finish: (() => void) | undefined;
    const { port, close } = await listen((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("part one, ");
      finish = () => res.end("part two");
    });
    agent = new Agent({ keepAlive: true, keepAliveMsecs: 120_000 });
    const body = new Promise<string>((resolve, reject) => {
      request({ port, host: "127.0.0.1", path: "/", agent }, (res) => {
        let text = "";
        res
          .setEncoding("utf8")
          .on("data", (chunk: string) => (text += chunk))
          .on("end", () => resolve(text));
      })
        .on("error", reject)
        .end();
    });
    await expect.poll(() => finish !== undefined).toBe(true);
    const closed = close();
    finish!();
    expect(await body).toBe("part one, part two");
    await closed;
  });
});
