/**
 * Issue 24: 256 sockets that connect and send nothing (or half a request line) must not lock the
 * other clients out: the newest connection takes the place of the oldest idle one, so /health still
 * answers at once. Only when every connection has a request in progress is a new one turned away.
 */
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { hardenNodeServer, SERVER_LIMITS } from "../src/http/harden-node-server.js";

let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function start(limits: Parameters<typeof hardenNodeServer>[1] = SERVER_LIMITS, hold?: Promise<void>): Promise<string> {
  server = createServer((req, res) => {
    if (req.url === "/hold") return void hold?.then(() => res.end("held"));
    res.end("ok");
  });
  hardenNodeServer(server, limits);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function openSockets(url: string, count: number, send = ""): Promise<void> {
  const { port } = new URL(url);
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve, reject) => {
          const socket = connect(Number(port), "127.0.0.1", () => {
            if (send !== "") socket.write(send);
            resolve();
          });
          socket.on("error", () => {});
          socket.once("error", reject);
          sockets.push(socket);
        }),
    ),
  );
}

describe("connection limits (harden-node-server)", () => {
  it("answers /health while the limit of half-open sockets is held, the silent and the half-sent", async () => {
    const url = await start();
    await openSockets(url, SERVER_LIMITS.maxConnections / 2);
    await openSockets(url, SERVER_LIMITS.maxConnections / 2, "GET /health HTTP/1.1\r\nHost: 127");
    // Far below headersTimeout (10 s), after which Node itself would have ended them.
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3_000) });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok");
    // The oldest silent socket made room.
    expect(sockets[0]!.destroyed || sockets[0]!.readableEnded).toBe(true);
  });

  it("turns a new connection away only when every open one has a request in progress", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const url = await start({ ...SERVER_LIMITS, maxConnections: 2 }, held);
    const holding = [fetch(`${url}/hold`), fetch(`${url}/hold`)];
    // Both requests are in progress once the server has both connections' requests.
    await new Promise<void>((resolve) => {
      let seen = 0;
      server!.on("request", () => ++seen === 2 && resolve());
    });
    await expect(fetch(`${url}/health`, { signal: AbortSignal.timeout(3_000) })).rejects.toThrow();
    release();
    expect(await Promise.all(holding.map(async (r) => (await r).text()))).toEqual(["held", "held"]);
    // Done: they are idle now, and the next client takes an idle one's place.
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });
});
