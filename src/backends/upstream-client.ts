import { Agent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Socket } from "node:net";
import { createConnector, type UpstreamConnectOptions } from "./connect-upstream-socket.js";
import { keepSpareConnection, type SpareConnections } from "./keep-spare-connection.js";
import { sendUpstreamPost, type UpstreamResponse } from "./send-upstream-post.js";
import type { RuntimeBackend } from "./resolve-backends.js";
import type { UpstreamBody } from "./upstream-body.js";

/** What a backend may take before mallex gives up on it; every one is finite and configured. */
export interface UpstreamTimeouts {
  /** The TCP (and TLS) connection: past it the backend is not reachable. */
  connectMs: number;
  /** Longest silence: before the response headers, and between two chunks of the body. */
  silenceMs: number;
  /** The setting that holds `silenceMs`, named in the error that tells the user to raise it. */
  silenceSetting: string;
  /** Longest the whole answer may take, from the request to the body's end, however steadily it comes. */
  answerMs?: number;
}

/** undici's default, kept (a local server connects in microseconds, a remote API in well under a second). */
const DEFAULT_CONNECT_MS = 10_000;

/**
 * The timeouts for one backend: its own `timeout_s`, else the server's `request_timeout_s`; its
 * `connect_timeout_s`, else 10 s (or the silence limit when that is shorter).
 */
export function upstreamTimeouts(
  backend: Pick<RuntimeBackend, "name" | "timeoutMs" | "connectTimeoutMs">,
  requestTimeoutMs: number,
  answerMs?: number,
): UpstreamTimeouts {
  const silenceMs = backend.timeoutMs ?? requestTimeoutMs;
  return {
    ...(answerMs === undefined ? {} : { answerMs }),
    connectMs: backend.connectTimeoutMs ?? Math.min(DEFAULT_CONNECT_MS, silenceMs),
    silenceMs,
    silenceSetting: backend.timeoutMs === undefined ? `server.request_timeout_s (or backends.${backend.name}.timeout_s)` : `backends.${backend.name}.timeout_s`,
  };
}

export interface UpstreamPostInit {
  body: UpstreamBody;
  headers: Record<string, string>;
  /** Aborting it ends the request at once, whether the headers or the body are still on their way. */
  signal: AbortSignal;
  timeouts: UpstreamTimeouts;
  /**
   * The backend closes the connection after each response (see {@link closesEachConnection}): the
   * next request's connection is opened while this one runs, so it does not wait for a connect.
   */
  preconnect?: boolean;
}

/**
 * Servers that answer HTTP/1.0-style, one response per connection: mlx-lm.server (Python's
 * ThreadingHTTPServer; a streamed body ends when the socket closes). The others (llama-server,
 * Ollama, LM Studio, vLLM, mallex's engine, the Anthropic API) keep connections alive, and mallex
 * reuses them.
 */
export function closesEachConnection(flavor: string): boolean {
  return flavor === "mlx-lm";
}

/** The HTTP client every backend call goes through: one connection pool per protocol and connect limit. */
export interface UpstreamClient {
  /**
   * POSTs and resolves once the headers are in, body unread; any status is returned, never retried
   * (but for a request a stale kept-alive socket lost before the server read it: see sendUpstreamPost).
   */
  post(url: string, init: UpstreamPostInit): Promise<UpstreamResponse>;
  /** Closes every pool (in-flight requests are destroyed). */
  close(): Promise<void>;
}

/**
 * Upstream calls go over node:http(s), through keep-alive Agents that mallex configures: its own
 * connector (the connect limit, and a spare socket kept ahead for the origins that close each
 * connection), and its own timers for the silence limit, before the headers and between two body
 * chunks (a paused stream, whose reader is slow, does not count); see {@link sendUpstreamPost}.
 * undici from npm (a second copy next to Node's own, WASM parser included) cost ~14 MiB of RSS
 * idle after the first request, Node's built-in fetch ~10 MiB; node:http is loaded by every
 * `mallex proxy` already.
 */
export function createUpstreamClient(): UpstreamClient {
  const pools = new Map<string, { agent: Agent; spares: SpareConnections }>();
  // Origins whose backend closes each connection: they get a spare one opened ahead.
  const preconnected = new Set<string>();
  const wanted = (origin: string): boolean => preconnected.has(origin);
  const agentFor = (timeouts: UpstreamTimeouts, protocol: "http:" | "https:"): Agent => {
    const key = `${protocol}${timeouts.connectMs}`;
    let entry = pools.get(key);
    if (entry === undefined) {
      const spares = keepSpareConnection(createConnector(timeouts.connectMs), wanted);
      const agent = new (protocol === "https:" ? HttpsAgent : Agent)({ keepAlive: true });
      // node:http hands createConnection its request options; the connector wants the origin.
      agent.createConnection = ((
        options: { host?: string; hostname?: string; port?: number | string; servername?: string },
        callback: (error: Error | null, socket: Socket | null) => void,
      ) => {
        const connect: UpstreamConnectOptions = {
          protocol,
          hostname: unbracket(options.hostname ?? options.host ?? "localhost"),
          port: Number(options.port),
          servername: options.servername,
        };
        spares.connect(connect, callback);
      }) as unknown as Agent["createConnection"];
      entry = { agent, spares };
      pools.set(key, entry);
    }
    return entry.agent;
  };
  return {
    post: (url, init) => {
      const target = new URL(url);
      if (init.preconnect === true)
        preconnected.add(`${target.protocol}//${unbracket(target.hostname)}:${target.port || (target.protocol === "https:" ? 443 : 80)}`);
      const protocol = target.protocol === "https:" ? "https:" : "http:";
      return sendUpstreamPost(
        target,
        {
          body: init.body,
          headers: init.headers,
          signal: init.signal,
          silenceMs: init.timeouts.silenceMs,
          ...(init.timeouts.answerMs === undefined ? {} : { answerMs: init.timeouts.answerMs }),
        },
        agentFor(init.timeouts, protocol),
      );
    },
    async close() {
      for (const { agent, spares } of pools.values()) {
        spares.close();
        agent.destroy();
      }
      pools.clear();
    },
  };
}

/** `[::1]` (a URL's IPv6 host) as a socket address. */
const unbracket = (host: string): string => (host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host);
