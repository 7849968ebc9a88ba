import { createFetch, type $Fetch } from "ofetch";
import type { Agent, buildConnector } from "undici";
import { keepSpareConnection, type SpareConnections } from "./keep-spare-connection.js";
import type { RuntimeBackend } from "./resolve-backends.js";

/** What a backend may take before mallex gives up on it; every one is finite and configured. */
export interface UpstreamTimeouts {
  /** The TCP (and TLS) connection: past it the backend is not reachable. */
  connectMs: number;
  /** Longest silence: before the response headers, and between two chunks of the body. */
  silenceMs: number;
  /** The setting that holds `silenceMs`, named in the error that tells the user to raise it. */
  silenceSetting: string;
}

/** undici's own default (a local server connects in microseconds, a remote API in well under a second). */
const DEFAULT_CONNECT_MS = 10_000;

/**
 * The timeouts for one backend: its own `timeout_s`, else the server's `request_timeout_s`; its
 * `connect_timeout_s`, else 10 s (or the silence limit when that is shorter).
 */
export function upstreamTimeouts(backend: Pick<RuntimeBackend, "name" | "timeoutMs" | "connectTimeoutMs">, requestTimeoutMs: number): UpstreamTimeouts {
  const silenceMs = backend.timeoutMs ?? requestTimeoutMs;
  return {
    connectMs: backend.connectTimeoutMs ?? Math.min(DEFAULT_CONNECT_MS, silenceMs),
    silenceMs,
    silenceSetting: backend.timeoutMs === undefined ? `server.request_timeout_s (or backends.${backend.name}.timeout_s)` : `backends.${backend.name}.timeout_s`,
  };
}

export interface UpstreamPostInit {
  body: string;
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
 * Ollama, LM Studio, vLLM, mallex's engine, the Anthropic API) keep connections alive, and undici
 * reuses them.
 */
export function closesEachConnection(flavor: string): boolean {
  return flavor === "mlx-lm";
}

/** The HTTP client every backend call goes through: one connection pool per set of timeouts. */
export interface UpstreamClient {
  /** POSTs and resolves once the headers are in, body unread; any status is returned, never retried. */
  post(url: string, init: UpstreamPostInit): Promise<Response>;
  /** Closes every pool (in-flight requests are destroyed). */
  close(): Promise<void>;
}

/**
 * Upstream calls go through undici Agents that mallex configures, not Node's global dispatcher,
 * whose defaults (5 min headers and body timeouts) would cut a long prefill short and let a silent
 * backend hold a request for 5 min whatever mallex.yaml says. undici's own timers do the work:
 * `connect.timeout`, `headersTimeout` (until the status line and headers) and `bodyTimeout`
 * (between two body chunks; a paused stream, whose reader is slow, does not count).
 */
export function createUpstreamClient(): UpstreamClient {
  const agents = new Map<string, { agent: Agent; spares: SpareConnections }>();
  // Origins whose backend closes each connection: they get a spare one opened ahead.
  const preconnected = new Set<string>();
  const wanted = (origin: string): boolean => preconnected.has(origin);
  // undici (~1 MB) loads with the first backend call, not with every mallex command. Its own fetch
  // goes with its own Agent: Node 20's built-in fetch is an older undici whose dispatcher interface
  // a newer Agent does not promise to match.
  type Undici = { fetch: $Fetch; Agent: typeof Agent; buildConnector: typeof buildConnector };
  let undici: Promise<Undici> | undefined;
  const load = () =>
    (undici ??= import("undici").then((module) => {
      // Bundled (dist/cli), the CommonJS package may come back as its `default` only.
      const lib = module.Agent === undefined ? (module as unknown as { default: typeof module }).default : module;
      return { fetch: createFetch({ fetch: lib.fetch as unknown as typeof globalThis.fetch }), Agent: lib.Agent, buildConnector: lib.buildConnector };
    }));
  const agentFor = (timeouts: UpstreamTimeouts, lib: Undici): Agent => {
    const key = `${timeouts.connectMs}/${timeouts.silenceMs}`;
    let entry = agents.get(key);
    if (entry === undefined) {
      // undici's own connector (its connect timeout and errors), with a spare socket kept ahead for
      // the origins that need one; keep-alive is undici's, for every other origin.
      const spares = keepSpareConnection(lib.buildConnector({ timeout: timeouts.connectMs }), wanted);
      entry = { agent: new lib.Agent({ connect: spares.connect, headersTimeout: timeouts.silenceMs, bodyTimeout: timeouts.silenceMs }), spares };
      agents.set(key, entry);
    }
    return entry.agent;
  };
  return {
    post: async (url, init) => {
      const lib = await load();
      if (init.preconnect === true) preconnected.add(new URL(url).origin);
      return lib.fetch.raw(url, {
        method: "POST",
        body: init.body,
        headers: init.headers,
        signal: init.signal,
        dispatcher: agentFor(init.timeouts, lib),
        responseType: "stream",
        retry: false,
        ignoreResponseError: true,
      });
    },
    async close() {
      const closing = [...agents.values()].map(({ agent, spares }) => {
        spares.close();
        return agent.destroy();
      });
      agents.clear();
      await Promise.all(closing);
    },
  };
}
