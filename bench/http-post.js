// The benchmarks' HTTP client: one timed streamed POST over a keep-alive agent, safe against the
// keep-alive race. A server closes a connection that stayed idle past its keep-alive timeout (Node's
// http server, as mallex and the reference proxy run it: 5 s, announced as `Keep-Alive: timeout=5`).
// A request written on that connection just as it closes finds the socket gone and fails with
// "socket hang up" (or ECONNRESET / EPIPE) before the server ever read it. Node's Agent honours the
// announced timeout only when it has a `timeout` of its own, and even then a client whose event loop
// is late (a loaded machine, twenty streams being read) can still reuse a socket the server has just
// closed; so such a request is sent once more, on a new connection, and counted (`resent`).
import { Agent, request as httpRequest } from "node:http";
import { StringDecoder } from "node:string_decoder";

const REQUEST_TIMEOUT_MS = 30_000;
/** Above any server's keep-alive timeout: it only makes Node's Agent honour a shorter `Keep-Alive: timeout=N` hint (it then lets an idle socket go 1 s before N). */
const AGENT_IDLE_TIMEOUT_MS = 60_000;
/** A request that failed with these on a reused keep-alive socket, before any response, never reached a server that closed the socket as idle. */
const STALE_SOCKET_CODES = new Set(["ECONNRESET", "EPIPE"]);

/** @typedef {Error & { code?: string; staleSocket?: boolean }} PostFailure */

/**
 * A keep-alive agent for post(): honours each server's keep-alive hint and knows how long each free socket has been idle.
 * @type {typeof import("./http-post.js").createKeepAliveAgent}
 */
export function createKeepAliveAgent({ maxSockets }) {
  const agent = new Agent({ keepAlive: true, maxSockets, timeout: AGENT_IDLE_TIMEOUT_MS });
  const freedAt = new WeakMap();
  agent.on("free", (socket) => freedAt.set(socket, performance.now()));
  return Object.assign(agent, { idleMs: (socket) => (freedAt.has(socket) ? performance.now() - freedAt.get(socket) : undefined) });
}

/**
 * One streamed POST, timed from just before the request is written: first body byte, first
 * token (first `content_block_delta` for Anthropic, first chunk with `delta.content` for OpenAI),
 * and the end of the body. A request that a server's close of an idle keep-alive socket lost is sent
 * again on a new connection (`resent: true`; timed from the new send); any other failure rejects,
 * saying whether its socket was a reused one and how long it had been idle.
 * @type {typeof import("./http-post.js").post}
 */
export async function post(agent, url, body, headers, protocol) {
  try {
    return { ...(await postOnce(agent, url, body, headers, protocol)), resent: false };
  } catch (error) {
    if (!(/** @type {PostFailure} */ (error).staleSocket)) throw error;
    // A new connection of its own: the agent's other idle sockets may be just as stale.
    return { ...(await postOnce(false, url, body, headers, protocol)), resent: true };
  }
}

function postOnce(agent, url, body, headers, protocol) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let responded = false;
    let idleMs;
    const req = httpRequest(url, { method: "POST", agent, headers: { ...headers, "content-length": body.length } }, (res) => {
      responded = true;
      const chunks = [];
      const decoder = new StringDecoder("utf8");
      let pending = "";
      let firstByte;
      let firstToken;
      res.on("data", (chunk) => {
        const now = performance.now();
        firstByte ??= now;
        chunks.push(chunk);
        if (firstToken === undefined) {
          pending += decoder.write(chunk);
          const found = findFirstToken(pending, protocol);
          if (found.token) firstToken = now;
          pending = found.rest;
        }
      });
      res.on("end", () => {
        const ended = performance.now();
        const text = Buffer.concat(chunks);
        if (res.statusCode !== 200) return reject(new Error(`${url} answered HTTP ${res.statusCode}: ${text.toString("utf8").slice(0, 500)}`));
        if (firstToken === undefined) return reject(new Error(`${url} streamed no token: ${text.toString("utf8").slice(0, 500)}`));
        resolve({ ttfb: firstByte - started, ttft: firstToken - started, total: ended - started, streaming: ended - firstToken, body: text });
      });
      res.on("error", (/** @type {NodeJS.ErrnoException} */ error) =>
        reject(new Error(`${url}: the response broke off: ${error.message}${error.code ? ` (${error.code})` : ""}`, { cause: error })),
      );
    });
    req.on("socket", (socket) => {
      if (req.reusedSocket) idleMs = agent?.idleMs?.(socket);
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${url} did not finish within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on("error", (/** @type {NodeJS.ErrnoException} */ error) => {
      const connection = req.reusedSocket
        ? `a reused keep-alive connection${idleMs === undefined ? "" : `, idle ${Math.round(idleMs)} ms`}`
        : "a new connection";
      /** @type {PostFailure} */
      const failure = new Error(
        `${url}: ${error.message}${error.code ? ` (${error.code})` : ""} on ${connection}${responded ? ", after the response began" : ", before any response"}`,
        { cause: error },
      );
      failure.code = error.code;
      failure.staleSocket = req.reusedSocket && !responded && error.code !== undefined && STALE_SOCKET_CODES.has(error.code);
      reject(failure);
    });
    req.end(body);
  });
}

/** Scans complete SSE events; returns whether one carries the first token, and the unparsed rest. */
function findFirstToken(text, protocol) {
  const parts = text.split("\n\n");
  const rest = parts.pop();
  for (const event of parts) {
    if (protocol === "anthropic" && event.startsWith("event: content_block_delta\n")) return { token: true, rest: "" };
    if (protocol === "openai" && event.startsWith("data: {")) {
      const chunk = JSON.parse(event.slice(6));
      if (chunk.choices?.[0]?.delta?.content) return { token: true, rest: "" };
    }
  }
  return { token: false, rest };
}
