/**
 * A raw TCP HTTP client for tests that must see the bytes on the wire (status line,
 * framing, how the connection ended), which `fetch` hides.
 */
import { connect } from "node:net";

export interface RawExchange {
  /** Everything the server sent. */
  raw: Buffer;
  /** `HTTP/1.0 200 OK`, or "" when nothing came back. */
  statusLine: string;
  status: number | undefined;
  /** Header lines as sent, in order, names as the server spelled them. */
  headers: Array<[string, string]>;
  /** The bytes after the blank line, as text. */
  body: string;
  /** `end`: the server closed cleanly (FIN); `reset`: ECONNRESET; `timeout`: still open after `timeoutMs`. */
  ended: "end" | "reset" | "timeout";
}

export interface RawRequestInit {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** Objects are sent as JSON. */
  body?: string | object;
  /** Default true: add a Content-Length header when there is a body. */
  contentLength?: boolean;
  /** Stop waiting after this long (default 5000 ms). */
  timeoutMs?: number;
}

/** Sends one HTTP/1.1 request over a fresh socket and reads until the server closes it. */
export function rawRequest(port: number, init: RawRequestInit): Promise<RawExchange> {
  const body = init.body === undefined ? "" : typeof init.body === "string" ? init.body : JSON.stringify(init.body);
  const headers: Record<string, string> = { Host: `127.0.0.1:${port}`, ...init.headers };
  if (body !== "" && init.contentLength !== false) headers["Content-Length"] = String(Buffer.byteLength(body));
  const head = [`${init.method ?? "POST"} ${init.path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return rawExchange(port, `${head.join("\r\n")}\r\n\r\n${body}`, init.timeoutMs);
}

/** Writes `request` verbatim and collects the reply. */
export function rawExchange(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawExchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    const finish = (ended: RawExchange["ended"]) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parseExchange(Buffer.concat(chunks), ended));
    };
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => finish("end"));
    socket.on("error", () => finish("reset"));
  });
}

function parseExchange(raw: Buffer, ended: RawExchange["ended"]): RawExchange {
  const text = raw.toString("utf8");
  const split = text.indexOf("\r\n\r\n");
  const head = split === -1 ? text : text.slice(0, split);
  const [statusLine = "", ...lines] = head === "" ? [] : head.split("\r\n");
  const headers = lines.map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  const status = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1];
  return {
    raw,
    statusLine,
    status: status === undefined ? undefined : Number(status),
    headers,
    body: split === -1 ? "" : text.slice(split + 4),
    ended,
  };
}

/** The value of a header, case-insensitively. */
export function headerOf(exchange: RawExchange, name: string): string | undefined {
  return exchange.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}
