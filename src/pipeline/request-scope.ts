import type { UpstreamClient } from "../backends/upstream-client.js";
import type { RoutingTable } from "../compile/routing-table.js";
import type { RequestRecord } from "../observe/request-record.js";
import type { RequestWatch } from "../observe/request-watch.js";
import type { BackendAvailability } from "../router/select-route.js";
import type { ServerContext } from "./server-context.js";

/**
 * What one request has of its own, beside the server's context: made when it arrives, gone when it
 * ends. Its table, log and HTTP client are the ones to use (the server's are not in `server`'s type):
 * the table as the request arrived, lines that end with its id, calls its watch records.
 */
export interface RequestScope {
  /** The server's context, frozen; the scope's table, log and upstream client stand for its own. */
  readonly server: Omit<ServerContext, "table" | "log" | "upstream">;
  /** The request's id: its `request-id` header, an error body's `request_id`, the end of each of its log lines. */
  readonly id: string;
  /** The server's log, each line ending with the request's id. */
  readonly log: (line: string) => void;
  /** The routing table as the request arrived: one refitted meanwhile (learn-server-facts.ts) is the next request's. */
  readonly table: RoutingTable;
  /** The client's: a client that goes away ends the request's calls, the classifier's included. */
  readonly signal: AbortSignal;
  /** `x-claude-code-session-id`, when the client sent one. */
  readonly session: string | undefined;
  /** What happened to it, told by each step: its trace (route, numbers, failure) for the metrics, the log line, the dashboard and x-mallex-route. */
  readonly record: RequestRecord;
  /** Its watch (MALLEX_DEBUG, the saved last request): told the trimming (absent: neither is on). */
  readonly watch: RequestWatch | undefined;
  /** The HTTP client its backend calls go through: its watch's, which records them, else the server's. */
  readonly upstream: UpstreamClient;
  /** Whether a backend may take the request now, and why not (backendAvailability): what routing and escalation ask of each candidate. */
  readonly available: BackendAvailability;
}

export interface RequestScopeInit {
  id: string;
  signal: AbortSignal;
  session?: string | undefined;
  record: RequestRecord;
  watch?: RequestWatch | undefined;
}

/** A request's scope in `server`, taken as the request arrives. */
export function scopeRequest(server: ServerContext, { id, signal, session, record, watch }: RequestScopeInit): RequestScope {
  return Object.freeze({
    server,
    id,
    log: requestLog(server, id),
    table: server.table,
    signal,
    session,
    record,
    watch,
    upstream: watch?.upstream ?? server.upstream,
    available: (name: string) => backendAvailability(server, name),
  });
}

/** The server's log for one request: each line ends with its id (the same id as its `request-id` header and an error body's `request_id`). */
export function requestLog(server: Pick<ServerContext, "log">, id: string): (line: string) => void {
  return (line) => server.log(`${line} · ${id}`);
}

/**
 * Whether a backend may take a request now, and why not: configured and usable, a pool with a server
 * that is not cooling down, and a circuit that is not open. Routing asks it of every candidate.
 */
export function backendAvailability(ctx: Pick<ServerContext, "backends" | "pools" | "breakers">, name: string): ReturnType<BackendAvailability> {
  const backend = ctx.backends[name];
  if (!backend || backend.unavailable) return { ok: false, reason: backend?.unavailable ?? `backend ${name} is not configured` };
  const pool = ctx.pools?.for(name);
  if (pool !== undefined && !pool.healthy()) {
    const left = pool.stats().flatMap(({ coolDownLeftMs }) => (coolDownLeftMs === undefined ? [] : [coolDownLeftMs]));
    return {
      ok: false,
      reason: `every server of backend ${name} failed and is cooling down (${pool.urls.join(", ")})`,
      ...(left.length === 0 ? {} : { retryAfterMs: Math.min(...left) }),
    };
  }
  return ctx.breakers?.check(name) ?? { ok: true };
}
