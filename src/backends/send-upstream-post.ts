import type { Agent, ClientRequest, IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { JSON_PIECE_CHARS, textSlices } from "../shared/json-text.js";
import { bodyBytes, type UpstreamBody } from "./upstream-body.js";

/** What one POST needs: the body, its headers, the client's signal and the limits. */
export interface SendInit {
  body: UpstreamBody;
  headers: Record<string, string>;
  signal: AbortSignal;
  silenceMs: number;
  /** Longest the whole answer may take, headers and body, however steadily its bytes come. */
  answerMs?: number;
}

/** An answer still coming past its overall limit (a backend dripping bytes, one ignoring max_tokens). */
export class AnswerDeadlineError extends Error {
  readonly code = "MALLEX_ANSWER_DEADLINE";
  constructor(readonly answerMs: number) {
    super(`the answer took longer than ${answerMs}ms in all`);
    this.name = "AnswerDeadlineError";
  }
}

/**
 * A backend that went silent past its limit. The codes are undici's for the same failures, the ones
 * {@link classifyUpstreamError} reads (and mallex's logs have always shown).
 */
export class SilenceTimeoutError extends Error {
  readonly code: "UND_ERR_HEADERS_TIMEOUT" | "UND_ERR_BODY_TIMEOUT";
  constructor(phase: "headers" | "body", silenceMs: number) {
    super(phase === "headers" ? `Headers Timeout Error (no response headers within ${silenceMs}ms)` : `Body Timeout Error (no body data for ${silenceMs}ms)`);
    this.name = phase === "headers" ? "HeadersTimeoutError" : "BodyTimeoutError";
    this.code = phase === "headers" ? "UND_ERR_HEADERS_TIMEOUT" : "UND_ERR_BODY_TIMEOUT";
  }
}

/** Statuses whose response has no body. */
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * A kept-alive socket the server closed while it sat idle fails the next request written on it
 * before any answer (the race Node's docs describe for `request.reusedSocket`): the server never
 * read that request, so it is sent once more, on a new connection. A reset on a new connection is
 * the server's answer (mlx-lm hangs up on parameters it rejects) and is not retried.
 */
const STALE_SOCKET_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);

/** A backend's answer once its headers are in. */
export interface UpstreamResponse {
  status: number;
  statusText: string;
  headers: Headers;
  /**
   * The body as it arrives (null for a status without one): node:http's own stream, read by
   * whoever needs it without a web stream in between. It fails with a {@link SilenceTimeoutError},
   * the signal's reason, or the connection's error; destroying it ends the upstream request.
   */
  body: Readable | null;
}

/**
 * POSTs over node:http(s) through `agent` and resolves once the headers are in, body unread. The
 * silence limit runs from the connection until the headers, then between two chunks while the body
 * flows: a paused body (its reader is slow) is not a silent backend. Aborting `signal` ends the
 * request, headers in or not, failing the body with the signal's reason.
 */
export function sendUpstreamPost(url: URL, init: SendInit, agent: Agent, retried = false): Promise<UpstreamResponse> {
  // No closure below refers to `init`: the body is held (by `unanswered`) only until the answer's
  // headers are in, when it can no longer be sent again — not for as long as a streamed answer lasts.
  const { signal, silenceMs, answerMs } = init;
  const headers = { ...init.headers, "content-length": String(bodyBytes(init.body)) };
  let unanswered: SendInit | undefined = init;
  return new Promise<UpstreamResponse>((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    let req: ClientRequest;
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    try {
      req = send(url, { method: "POST", agent, headers });
    } catch (error) {
      return reject(error as Error);
    }
    let timer: NodeJS.Timeout | undefined;
    const disarm = (): void => clearTimeout(timer);
    let deadline: NodeJS.Timeout | undefined;
    // Until the response comes, a failure rejects; after it, it fails the body.
    let fail = (error: Error): void => {
      disarm();
      reject(error);
    };
    // Ends the request with `error`, which is what the caller sees (not the reset that follows).
    const stop = (error: Error): void => {
      fail(error);
      req.destroy(error);
    };
    const onAbort = (): void => stop(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    // The overall limit runs from the request to the body's end, whatever arrives meanwhile.
    if (answerMs !== undefined) deadline = setTimeout(() => stop(new AnswerDeadlineError(answerMs)), answerMs);
    const done = (): void => {
      disarm();
      clearTimeout(deadline);
      signal.removeEventListener("abort", onAbort);
    };
    let answered = false;
    req.on("error", (error) => {
      const stale = !answered && !retried && req.reusedSocket && STALE_SOCKET_CODES.has((error as NodeJS.ErrnoException).code ?? "");
      if (stale && !signal.aborted && unanswered !== undefined) {
        done();
        return resolve(sendUpstreamPost(url, unanswered, agent, true));
      }
      fail(error);
      done();
    });
    req.on("socket", (socket) => {
      // The wait for the headers starts once connected (the connect has its own limit).
      const start = (): void => {
        if (timer === undefined) timer = setTimeout(() => stop(new SilenceTimeoutError("headers", silenceMs)), silenceMs);
      };
      if (socket.connecting) socket.once("connect", start);
      else start();
    });
    req.on("response", (res) => {
      answered = true;
      unanswered = undefined;
      disarm();
      const headers = new Headers();
      for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
      const status = res.statusCode ?? 0;
      const answer = { status, statusText: res.statusMessage ?? "", headers };
      if (NULL_BODY.has(status)) {
        res.resume();
        res.once("end", done);
        return resolve({ ...answer, body: null });
      }
      fail = (error) => {
        if (!res.destroyed) res.destroy(error);
      };
      watchSilence(res, silenceMs, stop);
      res.once("close", done);
      resolve({ ...answer, body: res });
    });
    writeBody(req, unanswered!.body); // still `init`: nothing is answered yet
  });
}

/**
 * Writes the body in pieces as the socket drains. Node encodes each write into a buffer of its own: a
 * 30 MB prompt written whole was one 30 MB allocation, and glibc then raises its mmap threshold to
 * that size, so every later large buffer came from its heap and stayed resident when freed
 * (measured: RSS settling ~80 MB higher after each large request). Pieces of 32 Ki characters (at
 * most 96 KiB of UTF-8, under glibc's initial 128 KiB threshold) never hold more than a piece or two
 * encoded at once; a piecewise body's are made only as they are written.
 */
function writeBody(req: ClientRequest, body: UpstreamBody): void {
  if (typeof body === "string" && body.length <= JSON_PIECE_CHARS) return void req.end(body);
  const pieces = (typeof body === "string" ? textSlices(body, JSON_PIECE_CHARS) : body.pieces())[Symbol.iterator]();
  const next = (): void => {
    while (!req.destroyed) {
      const piece = pieces.next();
      if (piece.done === true) return void req.end();
      if (!req.write(piece.value)) return void req.once("drain", next);
    }
  };
  next();
}

/**
 * The silence limit on a body: armed while it flows, refreshed by each piece that arrives, off
 * while it is paused or once it is over.
 */
function watchSilence(res: IncomingMessage, silenceMs: number, stop: (error: Error) => void): void {
  let timer: NodeJS.Timeout | undefined;
  const disarm = (): void => {
    clearTimeout(timer);
    timer = undefined;
  };
  res.on("resume", () => {
    // 'resume' comes a tick after resume(): the body may have been paused again meanwhile.
    if (res.readableFlowing !== true || res.readableEnded) return;
    disarm();
    timer = setTimeout(() => stop(new SilenceTimeoutError("body", silenceMs)), silenceMs);
  });
  // Bytes are counted where they arrive, on the socket: a `data` listener on the body would start
  // it flowing before its reader is there.
  const socket = res.socket;
  const refresh = (): void => void timer?.refresh();
  socket?.on("data", refresh);
  const finish = (): void => {
    disarm();
    socket?.off("data", refresh);
  };
  res.on("pause", disarm);
  res.once("end", finish);
  res.once("close", finish);
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException("This operation was aborted", "AbortError");
}
