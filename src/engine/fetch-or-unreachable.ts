import { DOWNLOAD_SILENCE_MS, watchSilence } from "./watch-silence.js";

/**
 * fetch, with "the host could not be reached" as its own error: undici says only `fetch failed` or
 * `terminated` and keeps the reason a user can act on (ECONNREFUSED, ENOTFOUND, a reset) in `cause`.
 */

/** The host could not be reached, or the connection broke: no HTTP status to report. */
export class HostUnreachableError extends Error {
  constructor(
    /** e.g. "connect ECONNREFUSED 127.0.0.1:9", "getaddrinfo ENOTFOUND huggingface.co". */
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(reason, options);
    this.name = "HostUnreachableError";
  }
}

/** An HTTP answer that was not the one asked for (a 404, a 401, a 500); the caller words it. */
export class RemoteStatusError extends Error {
  constructor(readonly response: Response) {
    super(`${response.status} ${response.statusText}`);
    this.name = "RemoteStatusError";
  }
}

/**
 * `fetch`, with a connection failure turned into a HostUnreachableError (an abort stays an abort),
 * and so are headers that do not come within `silenceMs` (a host that accepts and then says nothing).
 */
export async function fetchOrUnreachable(url: string, init: RequestInit, silenceMs = DOWNLOAD_SILENCE_MS): Promise<Response> {
  const watch = watchSilence(silenceMs, init.signal ?? undefined);
  try {
    return await fetch(url, { ...init, signal: watch.signal });
  } catch (error) {
    const silence = watch.timedOut();
    throw silence === undefined ? asUnreachable(error, init.signal) : new HostUnreachableError(silence, { cause: error });
  } finally {
    watch.stop();
  }
}

/** A failure while reading a body (reset, closed early) as a HostUnreachableError, unless aborted. */
export function asUnreachable(error: unknown, signal: AbortSignal | null | undefined): unknown {
  if (signal?.aborted || error instanceof HostUnreachableError) return error;
  if (!(error instanceof Error)) return error;
  const cause = error.cause instanceof Error ? error.cause : undefined;
  // Undici: TypeError("fetch failed" | "terminated") with the socket error as its cause.
  if (error.name === "TypeError" && cause) return new HostUnreachableError(cause.message || cause.name, { cause: error });
  if ("code" in error && typeof error.code === "string") return new HostUnreachableError(error.message, { cause: error });
  return error;
}
