// @ts-check
/**
 * The bytes Python's `BaseHTTPRequestHandler` puts on the wire, written straight to the
 * socket: an `HTTP/1.0` status line, `Server` and `Date`, the handler's headers, no
 * `Connection` header and no chunked framing; the body ends when the socket closes.
 */
import { STATUS_CODES } from "node:http";
import { dumpsPython } from "./python-json.js";

/** @typedef {import("node:net").Socket} Socket */
/** @typedef {ReadonlyArray<readonly [string, string]>} HeaderList */

const SERVER_HEADER = "BaseHTTP/0.6 Python/3.12.11";

/** `_set_cors_headers` with the default `--allowed-origins '*'`. @type {HeaderList} */
const CORS = Object.freeze([
  /** @type {const} */ (["Access-Control-Allow-Origin", "*"]),
  /** @type {const} */ (["Access-Control-Allow-Methods", "*"]),
  /** @type {const} */ (["Access-Control-Allow-Headers", "*"]),
]);

/** `_set_completion_headers`: the JSON content type is sent for every non-stream reply. */
export const JSON_HEADERS = /** @type {HeaderList} */ (Object.freeze([["Content-type", "application/json"], ...CORS]));

/** `_set_stream_headers`. */
export const STREAM_HEADERS = /** @type {HeaderList} */ (Object.freeze([["Content-type", "text/event-stream"], ["Cache-Control", "no-cache"], ...CORS]));

/**
 * Writes the status line and headers. Returns false when the client is already gone.
 * @param {Socket} socket
 * @param {number} status
 * @param {HeaderList} headers
 * @param {number} nowMs
 */
export function writeHead(socket, status, headers, nowMs) {
  if (socket.destroyed) return false;
  const lines = [
    `HTTP/1.0 ${status} ${STATUS_CODES[status] ?? ""}`,
    `Server: ${SERVER_HEADER}`,
    `Date: ${new Date(nowMs).toUTCString()}`,
    ...headers.map(([name, value]) => `${name}: ${value}`),
  ];
  socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  return true;
}

/**
 * Writes part of the body. @param {Socket} socket @param {string | Buffer} data
 */
export function writeBody(socket, data) {
  if (socket.destroyed) return false;
  socket.write(data);
  return true;
}

/** Ends the response: flush, FIN, close (what `shutdown_request` does). @param {Socket} socket */
export function endResponse(socket) {
  if (!socket.destroyed) socket.end(() => socket.destroy());
}

/**
 * A whole close-delimited reply, e.g. `404 Not Found` or `400 {"error": ...}`: the real
 * server writes these without a Content-Length.
 * @param {Socket} socket
 * @param {number} status
 * @param {unknown} body a string is sent as is, anything else as Python JSON
 * @param {number} nowMs
 * @param {{ contentLength?: boolean, headers?: HeaderList }} [options]
 */
export function sendReply(socket, status, body, nowMs, options = {}) {
  const payload = Buffer.from(typeof body === "string" ? body : dumpsPython(body));
  /** @type {Array<readonly [string, string]>} */
  const headers = [...(options.headers ?? JSON_HEADERS)];
  if (options.contentLength) headers.push(["Content-Length", String(payload.length)]);
  if (writeHead(socket, status, headers, nowMs)) writeBody(socket, payload);
  endResponse(socket);
}

/**
 * `send_error(501, ...)` for methods the handler has no `do_X` for (HEAD, PUT, DELETE, ...).
 * @param {Socket} socket
 * @param {string} method
 * @param {number} nowMs
 */
export function sendUnsupportedMethod(socket, method, nowMs) {
  const page = [
    "<!DOCTYPE HTML>",
    '<html lang="en">',
    "    <head>",
    '        <meta charset="utf-8">',
    "        <title>Error response</title>",
    "    </head>",
    "    <body>",
    "        <h1>Error response</h1>",
    "        <p>Error code: 501</p>",
    `        <p>Message: Unsupported method ('${method}').</p>`,
    "        <p>Error code explanation: 501 - Server does not support this operation.</p>",
    "    </body>",
    "</html>",
    "",
  ].join("\n");
  const headers = /** @type {HeaderList} */ ([
    ["Connection", "close"],
    ["Content-Type", "text/html;charset=utf-8"],
  ]);
  sendReply(socket, 501, method === "HEAD" ? "" : page, nowMs, { headers, contentLength: method !== "HEAD" });
}

/** Drops the connection without a response, as after an uncaught exception in a handler. @param {Socket} socket */
export function dropConnection(socket) {
  if (!socket.destroyed) socket.destroy();
}

/** Closes with a TCP RST. @param {Socket} socket */
export function resetConnection(socket) {
  if (!socket.destroyed) socket.resetAndDestroy();
}
