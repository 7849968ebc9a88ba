import type { Agent, ClientRequest, IncomingMessage } from "node:http";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

/** What one POST needs: the body, its headers, the client's signal and the silence limit. */
export interface SendInit {
  body: string;
  headers: Record<string, string>;
  signal: AbortSignal;
  silenceMs: number;
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

/** Statuses whose response has no body (a web Response refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * A kept-alive socket the server closed while it sat idle fails the next request written on it
 * before any answer (the race Node's docs describe for `request.reusedSocket`): the server never
 * read that request, so it is sent once more, on a new connection. A reset on a new connection is
 * the server's answer (mlx-lm hangs up on parameters it rejects) and is not retried.
 */
const STALE_SOCKET_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);

/**
 * POSTs over node:http(s) through `agent` and resolves with a web Response once the headers are in;
 * its body is read on demand (a reader that does not pull pauses the socket). The silence limit runs
 * from the connection until the headers, then between two chunks while the body is being read.
 * Aborting `signal` destroys the request, headers in or not; so does cancelling the body.
 */
export function sendUpstreamPost(url: URL, init: SendInit, agent: Agent, retried = false): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    if (init.signal.aborted) return reject(abortError(init.signal));
    let req: ClientRequest;
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    try {
      req = send(url, { method: "POST", agent, headers: { ...init.headers, "content-length": String(Buffer.byteLength(init.body)) } });
    } catch (error) {
      return reject(error as Error);
    }
    let timer: NodeJS.Timeout | undefined;
    const disarm = (): void => clearTimeout(timer);
    // Until the response comes, a failure rejects; after it, it errors the body (set then).
    let fail = (error: Error): void => {
      disarm();
      reject(error);
    };
    // Ends the request with `error`, which is what the caller sees (not the reset that follows).
    const stop = (error: Error): void => {
      fail(error);
      req.destroy(error);
    };
    const onAbort = (): void => stop(abortError(init.signal));
    init.signal.addEventListener("abort", onAbort, { once: true });
    const done = (): void => {
      disarm();
      init.signal.removeEventListener("abort", onAbort);
    };
    let answered = false;
    req.on("error", (error) => {
      done();
      const stale = !answered && !retried && req.reusedSocket && STALE_SOCKET_CODES.has((error as NodeJS.ErrnoException).code ?? "");
      if (stale && !init.signal.aborted) return resolve(sendUpstreamPost(url, init, agent, true));
      fail(error);
    });
    req.on("socket", (socket) => {
      // The wait for the headers starts once connected (the connect has its own limit).
      const start = (): void => {
        if (timer === undefined) timer = setTimeout(() => stop(new SilenceTimeoutError("headers", init.silenceMs)), init.silenceMs);
      };
      if (socket.connecting) socket.once("connect", start);
      else start();
    });
    req.on("response", (res) => {
      answered = true;
      disarm();
      const headers = new Headers();
      for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
      const status = res.statusCode ?? 0;
      if (NULL_BODY.has(status)) {
        res.resume();
        res.once("end", done);
        return resolve(new Response(null, { status, statusText: res.statusMessage ?? "", headers }));
      }
      resolve(new Response(readBody(req, res, init.silenceMs, done, stop, (failBody) => (fail = failBody)), { status, statusText: res.statusMessage ?? "", headers }));
    });
    req.end(init.body);
  });
}

/**
 * The response body as a web stream, one chunk queued at most: the socket is paused while the
 * reader does not pull (a slow reader is not a silent backend), and a pull that waits longer than
 * `silenceMs` for the next chunk ends it with a body timeout.
 */
function readBody(
  req: ClientRequest,
  res: IncomingMessage,
  silenceMs: number,
  done: () => void,
  stop: (error: Error) => void,
  onFailure: (fail: (error: Error) => void) => void,
): ReadableStream<Uint8Array> {
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => stop(new SilenceTimeoutError("body", silenceMs)), silenceMs);
  };
  const finish = (): void => {
    finished = true;
    clearTimeout(timer);
    done();
  };
  res.pause();
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const fail = (error: Error): void => {
          if (finished) return;
          finish();
          controller.error(error);
        };
        onFailure(fail);
        res.on("data", (chunk: Buffer) => {
          clearTimeout(timer);
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) res.pause();
          else arm();
        });
        res.on("end", () => {
          if (finished) return;
          finish();
          controller.close();
        });
        res.on("error", fail);
        // A socket that closes before the body's end (a reset, a destroy) without an error of its own.
        res.on("close", () => fail(Object.assign(new Error("other side closed"), { code: "ECONNRESET" })));
      },
      pull() {
        if (finished) return;
        arm();
        res.resume();
      },
      cancel() {
        finish();
        req.destroy();
      },
    },
    { highWaterMark: 1 },
  );
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException("This operation was aborted", "AbortError");
}
