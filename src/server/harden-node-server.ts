import type { Server } from "node:http";

/**
 * Connection limits for mallex's HTTP server. Its clients are a few local programs (Claude Code and
 * its subagents open a handful of connections), so the limits sit far above real use and only bound
 * what a misbehaving client can hold.
 *
 * Header size stays at Node's default maxHeaderSize, 16 KiB (Claude Code sends about 1 KiB):
 * larger headers get 431 from Node itself. listhen creates the server, so that one cannot be set per
 * server; it is Node's process-wide default unless --max-http-header-size changes it.
 */
export const SERVER_LIMITS = Object.freeze({
  /** Slowloris: a client must finish sending its headers within this. */
  headersTimeoutMs: 10_000,
  /** And its whole request (headers and body; 32 MB over a slow LAN fits) within this; the answer's streaming is not counted. */
  requestTimeoutMs: 120_000,
  /** Open connections at once; further ones are closed as they arrive. */
  maxConnections: 256,
});

/** Applies SERVER_LIMITS to a listening server (Node reads them on each check, so setting them after creation works). */
export function hardenNodeServer(server: Server, limits = SERVER_LIMITS): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.maxConnections = limits.maxConnections;
}
