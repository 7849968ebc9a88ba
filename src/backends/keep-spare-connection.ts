import type { Socket } from "node:net";
import type { Connector, UpstreamConnectOptions } from "./connect-upstream-socket.js";

export interface SpareConnections {
  /** The connector for an upstream Agent: it hands out a spare socket when one is ready. */
  readonly connect: Connector;
  /** Destroys the spares; nothing is opened afterwards. */
  close(): void;
}

const ignore = (): void => undefined;

/** Open both ways, nothing received: an HTTP server that closes or answers an idle connection has given up on it. */
const canCarryRequest = (socket: Socket): boolean => !socket.destroyed && socket.readyState === "open" && socket.readableLength === 0 && !socket.readableEnded;

/**
 * A backend that closes every connection after its response (mlx-lm.server is HTTP/1.0: a streamed
 * body ends when the socket closes) makes each request pay a TCP connect. For the origins `wanted`
 * names, this connector opens the next connection while the current request runs, and hands it to
 * the next request. At most one spare per origin waits, unreferenced (it never keeps mallex alive).
 *
 * A spare the server closes, errors, or sends anything on (an HTTP server says nothing before a
 * request, except when it gives up on the connection) is dropped; the next request then connects
 * as usual. A failed pre-connect is forgotten: the request that needs a connection reports its own.
 */
export function keepSpareConnection(connect: Connector, wanted: (origin: string) => boolean): SpareConnections {
  const spares = new Map<string, Socket>();
  const opening = new Set<string>();
  const watchers = new WeakMap<Socket, () => void>();
  let closed = false;

  const drop = (origin: string, socket: Socket): void => {
    if (spares.get(origin) === socket) spares.delete(origin);
    socket.destroy();
  };

  const open = (origin: string, options: UpstreamConnectOptions): void => {
    if (closed || spares.has(origin) || opening.has(origin)) return;
    opening.add(origin);
    connect({ ...options }, (error, socket) => {
      opening.delete(origin);
      if (error !== null || socket === null) return;
      // A late error of a socket nobody uses (or one a request has just taken) must not go unhandled.
      socket.on("error", ignore);
      if (closed || spares.has(origin)) {
        socket.destroy();
        return;
      }
      const unusable = (): void => drop(origin, socket);
      socket.on("error", unusable).on("readable", unusable).on("close", unusable);
      socket.unref();
      spares.set(origin, socket);
      watchers.set(socket, unusable);
    });
  };

  /** Takes the origin's spare, no longer watched. */
  const take = (origin: string): Socket | undefined => {
    const socket = spares.get(origin);
    if (socket === undefined) return undefined;
    spares.delete(origin);
    const watcher = watchers.get(socket);
    if (watcher !== undefined) socket.off("error", watcher).off("readable", watcher).off("close", watcher);
    return socket;
  };

  return {
    connect(options, callback) {
      const origin = `${options.protocol}//${options.hostname}:${options.port}`;
      const spare = take(origin);
      if (spare === undefined) connect(options, callback);
      // Asynchronously, as a connect is. The request's listeners go on the socket in the callback,
      // before any I/O event of the socket can fire.
      else process.nextTick(() => (canCarryRequest(spare) ? callback(null, spare.ref()) : (spare.destroy(), connect(options, callback))));
      // After this request is written: a connect costs ~0.1 ms of CPU the request should not wait for.
      if (wanted(origin)) setImmediate(() => open(origin, options));
    },
    close() {
      closed = true;
      for (const socket of spares.values()) socket.destroy();
      spares.clear();
    },
  };
}
