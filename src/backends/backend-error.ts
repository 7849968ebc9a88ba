import { MallexError } from "../shared/mallex-error.js";

/**
 * - `unreachable`: no connection (refused, no such host, no connection within connect_timeout_s);
 * - `timeout`: connected, then silent past timeout_s (no headers, or no next body chunk);
 * - `http`: answered with an error status (`status`, `retryAfter`);
 * - `closed`: hung up before answering (mlx-lm's answer to parameters it rejects);
 * - `broken`: the connection broke mid-answer, or failed in another way (TLS, a protocol error);
 * - `malformed`: answered 200 with something that is not a completion (not JSON, no choices, an error object);
 * - `cooling`: not asked: every server of its pool failed lately and is cooling down (`retryAfter`: the first back).
 */
export type BackendFailure = "unreachable" | "timeout" | "http" | "closed" | "broken" | "malformed" | "cooling";

/** A backend could not answer; carries what the client should be told and whether a retry can help. */
export class BackendError extends MallexError {
  readonly failure: BackendFailure;
  readonly backend: string;
  readonly url: string;
  readonly status?: number;
  readonly body?: string;
  /** The backend's `retry-after` (seconds or an HTTP date), or one derived from its rate-limit headers. */
  readonly retryAfter?: string;

  constructor(
    failure: BackendFailure,
    message: string,
    details: { backend: string; url: string; status?: number; body?: string; retryAfter?: string; cause?: unknown },
  ) {
    super("E_BACKEND", message, { cause: details.cause, kind: "backend" });
    this.name = "BackendError";
    this.failure = failure;
    this.backend = details.backend;
    this.url = details.url;
    if (details.status !== undefined) this.status = details.status;
    if (details.body !== undefined) this.body = details.body;
    if (details.retryAfter !== undefined) this.retryAfter = details.retryAfter;
  }

  static override readonly isInstance = MallexError.kindCheck<BackendError>("backend");
}
