import type { Server } from "node:http";
import type { Socket } from "node:net";

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
  /**
   * Open connections at once. Past it, a new connection takes the place of the oldest one with no
   * request in progress (half-open, or idle between keep-alive requests); only when every one has a
   * request in progress is the new one closed.
   */
  maxConnections: 256,
  /**
   * Request line and headers together (Claude Code sends about 1 KiB); larger ones get 431 from Node
   * itself. Set when the server is created (createServer's option), whatever --max-http-header-size says.
   */
  maxHeaderSize: 16 * 1024,
});

/**
 * Applies SERVER_LIMITS' timeouts and connection cap to a server (Node reads the timeouts on each
 * check, so setting them after creation works); maxHeaderSize is createServer's option.
 *
 * The cap is not Node's `server.maxConnections`, which turns away the newest connection: 256
 * sockets that connect and never send a byte would then lock out every client, `/health` included,
 * until headersTimeout ends them. Here they are the ones let go.
 */
export function hardenNodeServer(
  server: Server,
  limits: { readonly [K in Exclude<keyof typeof SERVER_LIMITS, "maxHeaderSize">]: number } = SERVER_LIMITS,
): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  limitConnections(server, limits.maxConnections);
}

/** Requests in progress on each open connection, the oldest connection first (a Map keeps insertion order). */
function limitConnections(server: Server, max: number): void {
  const open = new Map<Socket, number>();
  server.on("connection", (socket: Socket) => {
    if (open.size >= max) {
      const idle = [...open].find(([, inProgress]) => inProgress === 0)?.[0];
      if (idle === undefined) return void socket.destroy();
      open.delete(idle);
      idle.destroy();
    }
    open.set(socket, 0);
    socket.once("close", () => open.delete(socket));
  });
  server.on("request", (req, res) => {
    const socket = req.socket;
    if (!open.has(socket)) return;
    open.set(socket, open.get(socket)! + 1);
    res.once("close", () => {
      const inProgress = open.get(socket);
      if (inProgress !== undefined) open.set(socket, inProgress - 1);
    });
  });
}
