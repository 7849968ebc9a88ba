import { createLruMap, type LruMap } from "../../shared/lru-map.js";
import { createCircuitBreakers, type CallTicket, type CircuitBreakers, type CircuitBreakerOptions } from "../circuit-breaker.js";
import { pickPoolServer, POOL_BALANCE_DEFAULTS, type PoolBalance, type PoolServerView } from "./pick-pool-server.js";
import type { RuntimeBackend } from "../resolve-backends.js";

/**
 * A backend with several equivalent servers (`urls:`, or `--backend-url` given more than once): each
 * session stays on one server so that the server's prefix cache keeps hitting, new sessions go to the
 * least loaded one, and a server that fails is cooled down (a breaker per server) and probed until it
 * answers again. One object per proxy, created in start-proxy.ts (never module-level).
 */
export interface BackendPool {
  readonly backend: string;
  /** The servers' base URLs, as listed. */
  readonly urls: readonly string[];
  /**
   * The server for a request of `session` (a session id, or a hash of the stable prefix): its own
   * while that one is healthy and not clearly busier, else the least loaded healthy one, which then
   * becomes its own. `exclude`: a server that just failed this request. Undefined: none is healthy.
   */
  pick(session: string | undefined, exclude?: string): string | undefined;
  /** The backend as a request to `url` uses it (built once per server, not per request). */
  backendFor(url: string): RuntimeBackend;
  /** Counts a request (waiting or in flight) on `url` until the returned function is called. */
  count(url: string): () => void;
  /** Starts a call for `url`'s breaker (see CircuitBreakers.begin). */
  begin(url: string): CallTicket;
  /** Whether any server may take a request now. */
  healthy(): boolean;
  /** Each server now: requests counted on it (in flight or waiting), its breaker's state (and while open, ms until its cool-down ends), the sessions placed on it. */
  stats(): Array<{ url: string; load: number; state: ReturnType<CircuitBreakers["state"]>; coolDownLeftMs?: number; sessions: number }>;
}

export interface BackendPools {
  /** The pool of backend `name`, undefined when it has one server. */
  for(name: string): BackendPool | undefined;
  all(): BackendPool[];
  /** Stops the active probes. */
  close(): void;
}

export interface BackendPoolOptions {
  balance?: PoolBalance;
  /** Per server: LiteLLM's allowed_fails and cooldown_time, as a breaker. */
  breaker?: Partial<Omit<CircuitBreakerOptions, "onChange">>;
  /** How often a cooling server is asked `GET /models`; 0: never (it is tried again after its cool-down). */
  probeIntervalMs?: number;
  /** Sessions remembered per pool (the oldest is forgotten: it is placed afresh). */
  maxSessions?: number;
  /** The active probe: resolves true when the server answers. */
  probe?: (url: string, signal: AbortSignal) => Promise<boolean>;
  log(line: string): void;
}

export const POOL_DEFAULTS = { failureThreshold: 2, coolDownMs: 10_000, probeIntervalMs: 2_000, maxSessions: 10_000 } as const;

/** Pools for the backends with more than one server (`RuntimeBackend.urls`). */
export function createBackendPools(backends: Record<string, RuntimeBackend>, options: BackendPoolOptions): BackendPools {
  const pools = new Map<string, BackendPool & { stop(): void }>();
  for (const backend of Object.values(backends)) {
    if (backend.urls !== undefined && backend.urls.length > 1 && !backend.unavailable && !backend.supervised)
      pools.set(backend.name, createPool(backend, backend.urls, options));
  }
  return {
    for: (name) => pools.get(name),
    all: () => [...pools.values()],
    close() {
      for (const pool of pools.values()) pool.stop();
    },
  };
}

interface ServerState {
  view: PoolServerView;
  backend: RuntimeBackend;
  probe?: ReturnType<typeof setInterval>;
}

function createPool(backend: RuntimeBackend, urls: readonly string[], options: BackendPoolOptions): BackendPool & { stop(): void } {
  // The backend's own `pool:` settings come before the proxy-wide options.
  const settings = backend.pool;
  const balance = settings === undefined ? (options.balance ?? POOL_BALANCE_DEFAULTS) : { absolute: settings.moveMargin, relative: settings.moveRatio };
  const probeIntervalMs = settings?.probeIntervalMs ?? options.probeIntervalMs ?? POOL_DEFAULTS.probeIntervalMs;
  const servers: ServerState[] = urls.map((url) => ({ view: { load: 0, sessions: 0, healthy: true }, backend: { ...backend, baseUrl: url } }));
  const views = servers.map((server) => server.view);
  const indexOf = new Map(urls.map((url, i) => [url, i]));
  const sessions: LruMap<string, number> = createLruMap(options.maxSessions ?? POOL_DEFAULTS.maxSessions);
  let stopped = false;

  const stopProbe = (server: ServerState) => {
    if (server.probe !== undefined) clearInterval(server.probe);
    delete server.probe;
  };
  const startProbe = (url: string, server: ServerState) => {
    if (probeIntervalMs <= 0 || options.probe === undefined || server.probe !== undefined || stopped) return;
    let asking = false;
    server.probe = setInterval(() => {
      if (asking) return;
      asking = true;
      options.probe!(url, AbortSignal.timeout(Math.max(probeIntervalMs, 1_000))).then(
        (ok) => {
          asking = false;
          if (ok && server.probe !== undefined) breakers.close(url);
        },
        () => (asking = false),
      );
    }, probeIntervalMs);
    server.probe.unref();
  };
  const breakers = createCircuitBreakers({
    failureThreshold: POOL_DEFAULTS.failureThreshold,
    coolDownMs: POOL_DEFAULTS.coolDownMs,
    ...options.breaker,
    ...(settings === undefined ? {} : { failureThreshold: settings.allowedFails, coolDownMs: settings.cooldownMs }),
    onChange(url, change) {
      const server = servers[indexOf.get(url)!]!;
      if (change.state === "open") {
        options.log(
          `backend ${backend.name}: server ${url} failed ${change.failures} times in a row; its sessions move to the other servers for ${Math.round(change.forMs / 1000)} s`,
        );
        startProbe(url, server);
      } else {
        options.log(`backend ${backend.name}: server ${url} answers again`);
        stopProbe(server);
      }
    },
  });

  return {
    backend: backend.name,
    urls,
    pick(session, exclude) {
      for (let i = 0; i < servers.length; i++) views[i]!.healthy = breakers.check(urls[i]!).ok;
      const current = session === undefined ? undefined : sessions.get(session);
      const chosen = pickPoolServer(views, current, balance, exclude === undefined ? undefined : indexOf.get(exclude));
      if (chosen === undefined) return undefined;
      if (session !== undefined && chosen !== current) {
        // A session the map forgot (its oldest) is never subtracted: the count only breaks ties.
        if (current !== undefined) views[current]!.sessions--;
        views[chosen]!.sessions++;
        sessions.set(session, chosen);
      }
      return urls[chosen];
    },
    backendFor: (url) => servers[indexOf.get(url)!]!.backend,
    count(url) {
      const view = views[indexOf.get(url)!]!;
      view.load++;
      let done = false;
      return () => {
        if (!done) view.load--;
        done = true;
      };
    },
    begin: (url) => breakers.begin(url),
    healthy: () => urls.some((url) => breakers.check(url).ok),
    stats: () =>
      urls.map((url, i) => {
        const left = breakers.coolDownLeftMs(url);
        return { url, load: views[i]!.load, state: breakers.state(url), ...(left === undefined ? {} : { coolDownLeftMs: left }), sessions: views[i]!.sessions };
      }),
    stop() {
      stopped = true;
      for (const server of servers) stopProbe(server);
    },
  };
}
