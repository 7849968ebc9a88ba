import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { readBodyStart } from "./read-body-text.js";

export interface TextRequestInit {
  method?: "GET" | "POST";
  headers?: Readonly<Record<string, string>>;
  /** A JSON or text body (sent as UTF-8 with its Content-Length). */
  body?: string;
  /** Ends the request at once, whether the headers or the body are still on their way. */
  signal: AbortSignal;
  /** The most of the answer's body read; the rest is not read and the connection is closed (`cut`). 0: the body is not read at all. */
  maxBytes: number;
  /** The same for an answer that is not a 2xx (default: maxBytes). */
  maxErrorBytes?: number;
}

export interface TextResponse {
  status: number;
  /** A 2xx status. */
  ok: boolean;
  /** The body's first `maxBytes`, as UTF-8 text. */
  text: string;
  /** The body was longer than `maxBytes`. */
  cut: boolean;
}

/** How many redirects are followed, as fetch does. */
const MAX_REDIRECTS = 20;

/**
 * One small request to a server, over node:http(s): a server's facts, a health probe, a token count.
 * It replaces fetch, whose first call loads Node's bundled undici (its WASM HTTP parser included):
 * about 14 MiB of RSS in a proxy that otherwise speaks node:http only (see upstream-client.ts). Like
 * fetch it follows redirects (a 303, or a 301/302 of a POST, as a GET without body; the
 * Authorization header is dropped on the way to another origin); unlike it, no connection is kept
 * (each request has its own, closed after the answer). Rejects when no answer comes (a refused
 * connection, the signal's abort during the request or the body).
 */
export async function sendTextRequest(url: string, init: TextRequestInit): Promise<TextResponse> {
  let target = new URL(url);
  let method = init.method ?? "GET";
  let body = init.body;
  let headers: Record<string, string> = { ...init.headers };
  for (let redirects = 0; ; redirects++) {
    const response = await send(target, method, headers, body, init);
    const location = response.headers.location;
    if (!isRedirect(response.statusCode) || location === undefined || redirects === MAX_REDIRECTS) {
      const status = response.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      const maxBytes = ok ? init.maxBytes : (init.maxErrorBytes ?? init.maxBytes);
      if (maxBytes === 0) {
        response.destroy();
        return { status, ok, text: "", cut: false };
      }
      const { text, cut } = await readBodyStart(response, maxBytes);
      return { status, ok, text, cut };
    }
    response.destroy();
    const next = new URL(location, target);
    if (next.origin !== target.origin) headers = withoutHeader(headers, "authorization");
    if (response.statusCode === 303 || (method === "POST" && (response.statusCode === 301 || response.statusCode === 302))) {
      method = "GET";
      body = undefined;
      headers = withoutHeader(headers, "content-type");
    }
    target = next;
  }
}

function send(target: URL, method: string, headers: Record<string, string>, body: string | undefined, init: TextRequestInit): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = target.protocol === "https:" ? httpsRequest : target.protocol === "http:" ? httpRequest : undefined;
    if (request === undefined) return reject(new TypeError(`${target.protocol} URLs are not supported: ${target.href}`));
    const options: RequestOptions = {
      method,
      headers: body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) },
      signal: init.signal,
      agent: false,
    };
    let req: ClientRequest;
    try {
      req = request(target, options, resolve);
    } catch (error) {
      return reject(error);
    }
    // Kept for the request's life: an abort while the body is read errors the request too (the body's reader rejects).
    req.on("error", reject);
    req.end(body);
  });
}

const isRedirect = (status: number | undefined): boolean => status === 301 || status === 302 || status === 303 || status === 307 || status === 308;

function withoutHeader(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== name));
}
