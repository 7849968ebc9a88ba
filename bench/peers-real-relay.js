// The measuring tap of bench/peers-real.js: a pass-through HTTP relay in front of the real
// mlx_lm.server, one port per proxy, so that every request the server gets is known by who sent it.
// It forwards each request and its answer byte for byte, as they come, and keeps of each request: its
// body, when it was forwarded, when the server's first token left the server (the first chunk with
// `delta.content` or `delta.tool_calls`), and the server's own usage (prompt_tokens,
// prompt_tokens_details.cached_tokens) from its final usage chunk or its JSON answer. The server
// sends usage only to a request that asks for it (stream_options.include_usage); a request that did
// not ask has none (`usage: undefined`), and nothing is added to it.
import { createServer, request as httpRequest } from "node:http";
import { StringDecoder } from "node:string_decoder";

/**
 * One request the relay forwarded, as it keeps it.
 * @typedef {{
 *   method: string | undefined;
 *   path: string | undefined;
 *   bytes: number;
 *   body: unknown;
 *   forwardedAt: number;
 *   firstTokenAt: number | undefined;
 *   endedAt: number | undefined;
 *   status: number | undefined;
 *   usage: ReturnType<typeof pickUsage> | undefined;
 *   error?: string;
 * }} RelayedRequest
 */

/**
 * Starts a relay to `upstream` (the server's origin, http://127.0.0.1:PORT) on a free loopback port.
 * Resolves with `{ url, requests, close }`: `url` is the relay's origin; `requests` the log, oldest
 * first.
 */
export function startRelay(upstream) {
  /** @type {RelayedRequest[]} */
  const requests = [];
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      /** @type {RelayedRequest} */
      const record = {
        method: req.method,
        path: req.url,
        bytes: body.length,
        body: parseJson(body),
        forwardedAt: performance.now(),
        firstTokenAt: undefined,
        endedAt: undefined,
        status: undefined,
        usage: undefined,
      };
      requests.push(record);
      const headers = { ...req.headers, host: target.host, "content-length": String(body.length) };
      const upstreamReq = httpRequest({ hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (upstreamRes) => {
        record.status = upstreamRes.statusCode;
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        const watch = watchAnswer(record, String(upstreamRes.headers["content-type"] ?? ""));
        upstreamRes.on("data", (chunk) => {
          watch(chunk);
          res.write(chunk);
        });
        upstreamRes.on("end", () => {
          record.endedAt = performance.now();
          watch.end();
          res.end();
        });
        upstreamRes.on("error", () => res.destroy());
      });
      upstreamReq.on("error", (error) => {
        record.error = error.message;
        if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: `relay: ${error.message}` }));
      });
      // A client that goes away takes its upstream request with it, as a direct connection would.
      res.on("close", () => {
        if (!res.writableFinished) upstreamReq.destroy();
      });
      upstreamReq.end(body);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests,
        close: () =>
          new Promise((done) => {
            server.close(() => done(undefined));
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** Reads an answer as it passes: the first token's time and the usage, for SSE and for JSON. */
function watchAnswer(record, contentType) {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  let whole = "";
  const streamed = contentType.includes("text/event-stream");
  const onEvent = (event) => {
    for (const line of event.split("\n")) {
      if (!line.startsWith("data: ")) continue;
      const data = parseJson(line.slice(6));
      if (!data) continue;
      const delta = data.choices?.[0]?.delta;
      if (record.firstTokenAt === undefined && (delta?.content || delta?.tool_calls?.length)) record.firstTokenAt = performance.now();
      if (data.usage) record.usage = pickUsage(data.usage);
    }
  };
  const watch = (chunk) => {
    const text = decoder.write(chunk);
    if (!streamed) {
      whole += text;
      return;
    }
    pending += text;
    let at;
    while ((at = pending.indexOf("\n\n")) !== -1) {
      onEvent(pending.slice(0, at));
      pending = pending.slice(at + 2);
    }
  };
  watch.end = () => {
    if (streamed) {
      if (pending.trim()) onEvent(pending);
      return;
    }
    const answer = parseJson(whole + decoder.end());
    if (answer?.usage) record.usage = pickUsage(answer.usage);
    if (answer?.choices?.[0]?.message) record.firstTokenAt = record.endedAt;
  };
  return watch;
}

function pickUsage(usage) {
  return { promptTokens: usage.prompt_tokens, cachedTokens: usage.prompt_tokens_details?.cached_tokens, completionTokens: usage.completion_tokens };
}

function parseJson(text) {
  try {
    return JSON.parse(String(text));
  } catch {
    return undefined;
  }
}
