/**
 * sendTextRequest: the small requests of a proxy (a server's facts, a health probe, a token count)
 * over node:http instead of fetch, whose undici costs ~14 MiB of RSS. It answers as fetch did for
 * them: redirects followed, bodies read up to a limit, the signal's abort honoured.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { sendTextRequest } from "../../src/shared/send-text-request.js";

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function serve(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => handle(req, res, body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const signal = () => new AbortController().signal;

describe("sendTextRequest", () => {
  it("sends the method, headers and body, and reads the answer", async () => {
    const url = await serve((req, res, body) =>
      res.end(JSON.stringify({ method: req.method, type: req.headers["content-type"], length: req.headers["content-length"], body })),
    );
    const answer = await sendTextRequest(`${url}/x`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"é":1}',
      signal: signal(),
      maxBytes: 1024,
    });
    expect(answer).toEqual({
      status: 200,
      ok: true,
      cut: false,
      text: JSON.stringify({ method: "POST", type: "application/json", length: "8", body: '{"é":1}' }),
    });
  });

  it("cuts an answer at its limit, never mid-character", async () => {
    const url = await serve((_req, res) => res.end("aaé and more"));
    expect(await sendTextRequest(url, { signal: signal(), maxBytes: 3 })).toEqual({ status: 200, ok: true, text: "aa", cut: true });
  });

  it("reads an error's body to its own limit, or not at all", async () => {
    const url = await serve((_req, res) => res.writeHead(503).end("loading model"));
    expect(await sendTextRequest(url, { signal: signal(), maxBytes: 1024 })).toEqual({ status: 503, ok: false, text: "loading model", cut: false });
    expect(await sendTextRequest(url, { signal: signal(), maxBytes: 1024, maxErrorBytes: 0 })).toEqual({ status: 503, ok: false, text: "", cut: false });
  });

  it("follows redirects as fetch does: a 302 of a POST as a GET, a 307 as it was, Authorization dropped for another origin", async () => {
    const other = await serve((req, res, body) => res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization ?? null, body })));
    const url = await serve((req, res, body) => {
      if (req.url === "/302") return res.writeHead(302, { location: "/echo" }).end();
      if (req.url === "/307") return res.writeHead(307, { location: "/echo" }).end();
      if (req.url === "/away") return res.writeHead(301, { location: `${other}/echo` }).end();
      res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization ?? null, body }));
    });
    const post = (path: string) =>
      sendTextRequest(`${url}${path}`, { method: "POST", headers: { authorization: "Bearer t" }, body: "{}", signal: signal(), maxBytes: 1024 }).then(
        (answer) => JSON.parse(answer.text) as unknown,
      );
    expect(await post("/302")).toEqual({ method: "GET", auth: "Bearer t", body: "" });
    expect(await post("/307")).toEqual({ method: "POST", auth: "Bearer t", body: "{}" });
    expect(await post("/away")).toEqual({ method: "GET", auth: null, body: "" });
  });

  it("rejects when the signal aborts, before the headers or while the body comes", async () => {
    const url = await serve((req, res) => {
      if (req.url === "/stall-body") res.writeHead(200).write("{");
    });
    const before = new AbortController();
    setTimeout(() => before.abort(), 20);
    await expect(sendTextRequest(`${url}/stall-headers`, { signal: before.signal, maxBytes: 1024 })).rejects.toThrow();
    await expect(sendTextRequest(`${url}/stall-body`, { signal: AbortSignal.timeout(50), maxBytes: 1024 })).rejects.toThrow();
  });

  it("rejects for a port nothing listens on and for a URL that is not http(s)", async () => {
    const url = await serve(() => undefined);
    servers.pop()!.close();
    await expect(sendTextRequest(url, { signal: signal(), maxBytes: 1 })).rejects.toThrow();
    await expect(sendTextRequest("file:///etc/passwd", { signal: signal(), maxBytes: 1 })).rejects.toThrow("file: URLs are not supported");
  });
});
