import type { Server } from "node:http";
import type { Socket } from "node:net";

/** How often, while closing, connections that just finished their last answer are closed. */
const SWEEP_MS = 50;

/**
 * How the proxy's node:http server closes: answers under way are let finish, and nothing else keeps
 * it open. Node's close() leaves two kinds of connection open for seconds: one that finishes its
 * answer after close() began (kept alive until the client lets go of it), and one a client opened
 * ahead and never sent a request on (Node waits for its headers). The first is closed as soon as it
 * turns idle, the second at once. Call this when the server is created: it watches connections.
 */
export function serverCloser(server: Server): () => Promise<void> {
  const unused = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    unused.add(socket);
    socket.once("close", () => unused.delete(socket));
  });
  server.on("request", (req: { socket: Socket }) => unused.delete(req.socket));
  return () =>
    new Promise((resolve, reject) => {
      const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
      server.close((error) => {
        clearInterval(sweep);
        if (error) reject(error);
        else resolve();
      });
      server.closeIdleConnections();
      for (const socket of unused) socket.destroy();
    });
}
