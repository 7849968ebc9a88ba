import { BackendError } from "../backends/backend-error.js";
import { BackendQueueFullError } from "../backends/backend-queue.js";
import { MallexError } from "../shared/mallex-error.js";
import { SupervisorError } from "../supervisor/supervisor-error.js";
import { mapStatusToErrorType } from "../translate/anthropic-error.js";
import type { AnthropicErrorType } from "../translate/anthropic-types.js";
import { TranslateError } from "../translate/translate-error.js";
import { describeBackendFailure } from "./describe-backend-failure.js";
import type { ErrorResponseOptions } from "./error-response.js";
import type { RequestScope } from "./request-scope.js";

/**
 * A request mallex does not answer, as a value: the HTTP status, the sentence, and the error
 * envelope's options. A step returns one for what the request earned (a bad body, no route, over
 * every budget, a forced call the model never made); describeFailure makes one of whatever was
 * thrown. Either way handleMessages turns it into the client's error, once.
 */
export interface Refusal {
  readonly refused: true;
  readonly status: number;
  readonly message: string;
  readonly options: Omit<ErrorResponseOptions, "requestId">;
}

export function refusal(status: number, message: string, options: Omit<ErrorResponseOptions, "requestId"> = {}): Refusal {
  return { refused: true, status, message, options };
}

export function isRefusal(value: object): value is Refusal {
  return (value as Partial<Refusal>).refused === true;
}

/**
 * What the client is told of whatever was thrown while its request was handled (logged once here):
 * an Anthropic error the user can act on, never a stack trace. handleMessages answers it as a
 * response; a stream that has begun, as its error event (streamedFailure).
 */
export function describeFailure(error: unknown, scope: RequestScope, routeLabel: string | undefined): Refusal {
  // Before it is routed, a request's failure is mallex's own: its line says so without a route.
  scope.log(routeLabel === undefined ? failureLine(error) : `${routeLabel} · ${failureLine(error)}`);
  return classifyFailure(error, scope);
}

/**
 * The one classification of a failure: status, type, sentence and retry advice, for whatever was
 * thrown — before the answer, or while its body was read (a connection that broke mid-answer is the
 * backend failure table's 502 with retry, streamed or not).
 */
export function classifyFailure(error: unknown, { server, table }: Pick<RequestScope, "server" | "table">): Refusal {
  if (TranslateError.isInstance(error)) return refusal(error.status, `${error.path}: ${error.message}`, { type: error.type, retry: false });
  if (BackendQueueFullError.isInstance(error)) return refusal(529, error.message, { type: "overloaded_error" });
  if (BackendError.isInstance(error)) {
    const backend = server.backends[error.backend];
    const described = describeBackendFailure(error, {
      kind: backend?.kind ?? "openai",
      apiKeySource: table.backends[error.backend]?.apiKey,
      flavor: table.backends[error.backend]?.flavor,
    });
    // The server's own words are in the message: a key it echoed is not the client's to see.
    return refusal(described.status, server.redact.text(described.message), {
      type: described.type,
      retry: described.retry,
      ...(described.retryAfter === undefined ? {} : { retryAfter: described.retryAfter }),
    });
  }
  // The client went away: nobody reads this answer, and it is no bug of mallex's.
  if (isAbort(error)) return refusal(499, "The client closed the request.", { retry: false });
  if (MallexError.isInstance(error)) return refusal(503, error.message, { retry: false });
  return refusal(500, `mallex failed on this request: ${(error as Error).message ?? String(error)}`, { type: "api_error", retry: false });
}

/** The log's line for a failure: what kind of failure it is, then its sentence. */
function failureLine(error: unknown): string {
  if (TranslateError.isInstance(error)) return `rejected: ${error.message}`;
  if (BackendQueueFullError.isInstance(error)) return `refused: ${error.message}`;
  if (BackendError.isInstance(error)) return `backend failed: ${error.message}`;
  if (isAbort(error)) return "client disconnected";
  // The supervisor's "gave up" line already holds the sentence: said once, pointed at here.
  if (MallexError.isInstance(error))
    return SupervisorError.isInstance(error) && error.announced ? "refused: its model server gave up (the line above says why)" : error.message;
  return `internal error: ${(error as Error).stack ?? String(error)}`;
}

const isAbort = (error: unknown): boolean => error instanceof Error && error.name === "AbortError";

/**
 * A failure while the answer's body was read, as the stream's error event: its own type (a broken
 * connection stays the `api_error` an answer that ends before its finish is, whatever the transport
 * showed; a silent backend is `overloaded_error`).
 */
export function errorEventOf(reply: Refusal): { type: AnthropicErrorType; message: string } {
  return { type: reply.options.type ?? mapStatusToErrorType(reply.status), message: reply.message };
}

/**
 * A failure as a begun stream's error event. Its HTTP status and retry advice cannot be sent any more:
 * a failure worth retrying (a busy, loading or rate-limited backend) is an `overloaded_error`, which
 * Claude Code retries from a stream as well, with the wait the backend asked for in its sentence.
 */
export function streamedFailure(reply: Refusal): { type: AnthropicErrorType; message: string } {
  const { options } = reply;
  if (options.retry !== true) return errorEventOf(reply);
  const after = options.retryAfter === undefined ? "" : ` (retry after ${/^\d+$/.test(options.retryAfter) ? `${options.retryAfter} s` : options.retryAfter})`;
  return { type: "overloaded_error", message: `${reply.message}${after}` };
}
