/**
 * The upstream client's own timers (node:http, no undici): the silence limit runs while mallex waits
 * for the backend, never while its own reader is slow; a timeout or an abort ends the upstream request.
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { once } from "node:events";
import { readBodyText } from "../../src/shared/read-body-text.js";
import { createUpstreamClient } from "../../src/backends/upstream-client.js";
import { upstreamBody, type UpstreamBody } from "../../src/backends/upstream-body.js";

const timeouts = { connectMs: 1000, silenceMs: 150, silenceSetting: "backends.x.timeout_s" };

describe("createUpstreamClient", () => {
  let url: string;
  const closed: boolean[] = [];
  let handle: (res: ServerResponse) => void = () => undefined;
  const server = createServer((req, res) => {
    const index = closed.push(false) - 1;
    res.on("close", () => (closed[index] = !res.writableFinished));
    req.resume().on("end", () => handle(res));
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  const post = (client: ReturnType<typeof createUpstreamClient>, signal = new AbortController().signal) =>
    client.post(url, { body: "{}", headers: { "content-type": "application/json" }, signal, timeouts });

  it("a reader slower than the silence limit is not a silent backend: a paused body is not timed", async () => {
    handle = (res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (let i = 0; i < 3; i++) res.write(`data: ${i}\n\n`);
      res.end();
    };
    const client = createUpstreamClient();
    try {
      const body = (await post(client)).body!;
      const text = await new Promise<string>((resolve, reject) => {
        let read = "";
        body.on("data", (chunk: Buffer) => {
          read += chunk.toString();
          body.pause(); // longer than silenceMs, after every chunk
          setTimeout(() => body.resume(), 200);
        });
        body.once("end", () => resolve(read)).once("error", reject);
      });
      expect(text).toBe("data: 0\n\ndata: 1\n\ndata: 2\n\n");
    } finally {
      await client.close();
    }
  });

  it("no headers within the limit: UND_ERR_HEADERS_TIMEOUT, and the request is ended", async () => {
    handle = () => undefined;
    const client = createUpstreamClient();
    try {
      await expect(post(client)).rejects.toMatchObject({ code: "UND_ERR_HEADERS_TIMEOUT" });
      await expect.poll(() => closed.at(-1)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it("silence between chunks past the limit: the body fails with UND_ERR_BODY_TIMEOUT", async () => {
    handle = (res) => res.writeHead(200, { "content-type": "text/event-stream" }).write("data: 0\n\n");
    const client = createUpstreamClient();
    try {
      const body = (await post(client)).body!;
      let read = "";
      body.on("data", (chunk: Buffer) => (read += chunk.toString()));
      expect((await once(body, "error"))[0]).toMatchObject({ code: "UND_ERR_BODY_TIMEOUT" });
      expect(read).toBe("data: 0\n\n");
      await expect.poll(() => closed.at(-1)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it("an abort mid-body errors the body with the signal's reason and ends the upstream request", async () => {
    handle = (res) => res.writeHead(200, { "content-type": "text/event-stream" }).write("data: 0\n\n");
    const client = createUpstreamClient();
    const controller = new AbortController();
    try {
      const body = (await post(client, controller.signal)).body!;
      await once(body, "data");
      const reason = new Error("client went away");
      const failed = once(body, "error");
      controller.abort(reason);
      expect((await failed)[0]).toBe(reason);
      await expect.poll(() => closed.at(-1)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it("a request a kept-alive socket loses before the server reads it (closed while idle) is sent again on a new connection, once", async () => {
    // The server answers the first request on a connection and hangs up on the next one written on
    // it, unread: what a backend closing an idle keep-alive socket looks like to the next request.
    const served = new WeakMap<object, number>();
    let connections = 0;
    const flaky = createServer((req, res) => {
      const count = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, count);
      if (count > 1) return req.socket.destroy();
      req.resume().on("end", () => res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'));
    });
    flaky.on("connection", () => connections++);
    await new Promise<void>((resolve) => flaky.listen(0, "127.0.0.1", resolve));
    const flakyUrl = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/v1/chat/completions`;
    const client = createUpstreamClient();
    const send = () => client.post(flakyUrl, { body: "{}", headers: { "content-type": "application/json" }, signal: new AbortController().signal, timeouts });
    try {
      for (let i = 0; i < 3; i++) expect(JSON.parse(await readBodyText((await send()).body!, 1024 * 1024))).toEqual({ ok: true });
      expect(connections).toBe(3); // each reused socket failed once, and its request went on a new one
    } finally {
      await client.close();
      flaky.closeAllConnections();
      flaky.close();
    }
  });
});

describe("a large body", () => {
  // Many pieces; non-ASCII, so characters and bytes differ; an emoji's surrogate pair straddles
  // the first boundary between pieces (32 Ki characters), which splitting there would break.
  const text = `${"a".repeat(32 * 1024 - 1)}🙂 naïve 日本語 "quoted"\n ${"p".repeat(3 * 1024 * 1024)} 🙂`;
  const value = {
    model: "m",
    messages: [
      { role: "user", content: text },
      { role: "assistant", content: "ok" },
    ],
    stream: true,
  };
  it.each([
    { kind: "as text", body: text as UpstreamBody, sent: text },
    // Never serialized whole (json-text.ts): each piece made as the socket drains.
    { kind: "as a JSON value in pieces", body: upstreamBody(value), sent: JSON.stringify(value) },
  ])(
    "($kind, written in pieces as the socket drains, issue 24) arrives whole, its byte length declared, and is sent again as it was after a lost socket",
    async ({ body, sent }) => {
      const received: { length: string | undefined; text: string }[] = [];
      let requests = 0;
      const echo = createServer((req, res) => {
        // The second request on a connection is lost unread, as in the case above: the body is sent again.
        if (++requests === 2) return req.socket.destroy();
        const chunks: Buffer[] = [];
        // Read late: the socket fills and the body waits for it to drain.
        req.pause();
        setTimeout(() => req.resume(), 200);
        req
          .on("data", (chunk: Buffer) => chunks.push(chunk))
          .on("end", () => {
            received.push({ length: req.headers["content-length"], text: Buffer.concat(chunks).toString("utf8") });
            res.writeHead(200, { "content-type": "application/json" }).end("{}");
          });
      });
      await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
      const echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/v1/chat/completions`;
      const client = createUpstreamClient();
      try {
        for (let i = 0; i < 2; i++)
          await readBodyText(
            (
              await client.post(echoUrl, {
                body,
                headers: { "content-type": "application/json" },
                signal: new AbortController().signal,
                timeouts: { ...timeouts, silenceMs: 10_000 },
              })
            ).body!,
            64 * 1024 * 1024,
          );
        expect(received).toHaveLength(2);
        for (const { length, text } of received) {
          expect(length).toBe(String(Buffer.byteLength(sent)));
          expect(text === sent).toBe(true);
        }
      } finally {
        await client.close();
        echo.closeAllConnections();
        echo.close();
      }
    },
  );
});
