import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";

/** Where a connection goes: an origin, and the TLS name for https. */
export interface UpstreamConnectOptions {
  protocol: "http:" | "https:";
  hostname: string;
  port: number;
  servername?: string | undefined;
}

/** Opens a connection and calls back once it can carry a request (or with why it cannot). */
export type Connector = (options: UpstreamConnectOptions, callback: (error: Error | null, socket: Socket | null) => void) => void;

/**
 * A connection attempt that took longer than its limit. The code is undici's for the same failure,
 * the one {@link classifyUpstreamError} reads (and mallex's logs have always shown).
 */
export class ConnectTimeoutError extends Error {
  readonly code = "UND_ERR_CONNECT_TIMEOUT";
  constructor(options: UpstreamConnectOptions, timeoutMs: number) {
    super(`Connect Timeout Error (attempted address: ${options.hostname}:${options.port}, timeout: ${timeoutMs}ms)`);
    this.name = "ConnectTimeoutError";
  }
}

/**
 * The connector for backend calls: TCP (or TLS, HTTP/1.1 by ALPN), Nagle off, TCP keep-alive on,
 * and a connect limit of `timeoutMs` past which the attempt ends with a {@link ConnectTimeoutError}.
 */
export function createConnector(timeoutMs: number): Connector {
  return (options, callback) => {
    const common = { host: options.hostname, port: options.port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 };
    const socket: Socket =
      options.protocol === "https:"
        ? connectTls({ ...common, servername: options.servername ?? (isIp(options.hostname) ? undefined : options.hostname), ALPNProtocols: ["http/1.1"] })
        : connectTcp(common);
    const ready = options.protocol === "https:" ? "secureConnect" : "connect";
    let settled = false;
    const settle = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A late error of a socket no request has taken yet must not go unhandled (the request's own listener reports it).
      socket.off(ready, onReady).off("error", settle).on("error", ignore);
      if (error === null) callback(null, socket);
      else {
        socket.destroy();
        callback(error, null);
      }
    };
    const onReady = (): void => settle(null);
    const timer = setTimeout(() => settle(new ConnectTimeoutError(options, timeoutMs)), timeoutMs);
    socket.once(ready, onReady).once("error", settle);
  };
}

const ignore = (): void => undefined;
const isIp = (host: string): boolean => /^[\d.]+$/.test(host) || host.includes(":");
