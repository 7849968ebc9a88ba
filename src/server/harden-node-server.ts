import type { Server } from "node:http";

/**
 * Connection limits for mallex's HTTP server. Its clients are a few local programs (Claude Code and
 * its subagents open a handful of connections), so the limits sit far above real use and only bound
 * what a misbehaving client can hold.
 */
export const SERVER_LIMITS = Object.freeze({
  /** Slowloris: a client must finish sending its headers within this. */
  headersTimeoutMs: 10_000,
  /** And its whole request (headers and body; 32 MB over a slow LAN fits) within this; the answer's streaming is not counted. */
  requestTimeoutMs: 120_000,
  /** Open connections at once; further ones are closed as they arrive. */
  maxConnections: 256,
  /**
   * Request line and headers together (Claude Code sends about 1 KiB); larger ones get 431 from Node
   * itself. Set when the server is created (createServer's option), whatever --max-http-header-size says.
   */
  maxHeaderSize: 16 * 1024,
});

/**
 * Applies SERVER_LIMITS' timeouts and connection cap to a server (Node reads them on each check, so
 * setting them after creation works); maxHeaderSize is createServer's option.
 */
export function hardenNodeServer(server: Server, limits: Omit<typeof SERVER_LIMITS, "maxHeaderSize"> = SERVER_LIMITS): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.maxConnections = limits.maxConnections;
}
