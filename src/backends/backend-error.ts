const MARKER = Symbol.for("mallex.backend-error");

export type BackendFailure = "unreachable" | "timeout" | "http" | "closed";

/** A backend could not answer; carries what the client should be told and whether a retry can help. */
export class BackendError extends Error {
  readonly [MARKER] = true;
  readonly failure: BackendFailure;
  readonly backend: string;
  readonly url: string;
  readonly status?: number;
  readonly body?: string;

  constructor(failure: BackendFailure, message: string, details: { backend: string; url: string; status?: number; body?: string; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.name = "BackendError";
    this.failure = failure;
    this.backend = details.backend;
    this.url = details.url;
    if (details.status !== undefined) this.status = details.status;
    if (details.body !== undefined) this.body = details.body;
  }

  static isInstance(error: unknown): error is BackendError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
