import { readContextOverflow, type ContextOverflow } from "../backends/context-overflow.js";
import type { BackendError } from "../backends/backend-error.js";
import type { AnthropicErrorType } from "../translate/anthropic-types.js";
import { contextFix, largerContext } from "../shared/context/context-fix.js";

/** What the client is told about a failed backend: HTTP status, Anthropic error type, sentence, retry advice. */
export interface BackendFailureReply {
  status: number;
  type: AnthropicErrorType;
  message: string;
  /** x-should-retry: true where waiting can help (a busy or rate-limited backend), false where it cannot. */
  retry: boolean;
  /** Passed through (or derived) from the backend's rate-limit headers. */
  retryAfter?: string;
}

export interface BackendFailureContext {
  /** anthropic: the real API, which needs other advice than a local server. */
  kind: "openai" | "anthropic";
  /** The backend's api_key as written in the config (`${VAR}` or a literal); named, never shown when literal. */
  apiKeySource?: string | undefined;
  /** Its flavor, so a prompt over its context names the server's own way to a larger one (contextFix). */
  flavor?: string | undefined;
}

/**
 * A {@link BackendError} mapped by meaning onto the Anthropic error the client acts on:
 *
 * | backend                                | mallex answers                                        |
 * |----------------------------------------|-------------------------------------------------------|
 * | no connection                          | 503 api_error, "not reachable", retry false           |
 * | silent past timeout_s                  | 529 overloaded_error naming the setting, retry true   |
 * | HTTP 429                               | 429 rate_limit_error + retry-after, retry true        |
 * | HTTP 401 / 403                         | 401 authentication_error / 403 permission_error       |
 * | HTTP 413                               | 413 request_too_large                                 |
 * | HTTP 4xx: prompt over the context      | 400 invalid_request_error, "prompt is too long"       |
 * | other HTTP 4xx (mlx-lm's 404)          | 400 invalid_request_error                             |
 * | HTTP 503 / 529                         | 503 api_error / 529 overloaded_error, retry true      |
 * | other HTTP 5xx                         | 502 api_error, retry true                             |
 * | hung up before answering (mlx-lm)      | 500 api_error, retry false                            |
 * | broke mid-answer                       | 502 api_error, retry true                             |
 * | 200 with no completion in it           | 502 api_error, retry false                            |
 * | a pool whose every server is cooling   | 503 api_error + retry-after (the first back), retry   |
 *
 * 502 is the gateway's status for "the server behind me failed", which keeps 500 for mallex's own
 * bugs; the SDK retries both. A 503 stays 503: a server that is loading or draining says so on purpose.
 *
 * @see docs/reliability.md, "Timeouts and errors" (this table, for users); "Errors" in Anthropic's API
 *   reference.
 */
export function describeBackendFailure(error: BackendError, context: BackendFailureContext): BackendFailureReply {
  switch (error.failure) {
    case "unreachable":
      return {
        status: 503,
        type: "api_error",
        message:
          context.kind === "anthropic"
            ? `mallex could not reach the Anthropic API: ${error.message}. Check the network, and backends.${error.backend}.base_url in mallex.yaml.`
            : `mallex could not reach the model server: ${error.message}. Start it (\`mallex run\` starts and watches it for you) or point --backend-url at a server that is running.`,
        retry: false,
      };
    case "timeout":
      return { status: 529, type: "overloaded_error", message: `${error.message}.`, retry: true };
    case "http":
      return describeHttpFailure(error, context);
    case "closed":
      return { status: 500, type: "api_error", message: `The model server failed on this request: ${error.message}. Its log says why.`, retry: false };
    case "broken":
      return { status: 502, type: "api_error", message: `The model server failed: ${error.message}.`, retry: true };
    case "malformed":
      return { status: 502, type: "api_error", message: `The model server's answer is not a chat completion: ${error.message}.`, retry: false };
    case "cooling":
      return {
        status: 503,
        type: "api_error",
        message: `${error.message}.`,
        retry: true,
        ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }),
      };
    default:
      return error.failure satisfies never;
  }
}

/**
 * The API's own wording ("prompt is too long: N tokens > M maximum"), which Claude Code answers by
 * compacting the conversation; the server's sentence follows.
 */
function promptTooLong(overflow: ContextOverflow, error: BackendError, flavor: string | undefined): string {
  const numbers =
    overflow.promptTokens !== undefined && overflow.contextTokens !== undefined ? `: ${overflow.promptTokens} tokens > ${overflow.contextTokens} maximum` : "";
  return `prompt is too long${numbers} for the context of the model server behind backend ${error.backend} (it said: ${error.message}). Run /compact or /clear; for room to work in, ${contextFix(flavor, largerContext(overflow.contextTokens))}.`;
}

function describeHttpFailure(error: BackendError, context: BackendFailureContext): BackendFailureReply {
  const status = error.status ?? 500;
  const overflow = status >= 400 && status < 500 ? readContextOverflow(`${error.message} ${error.body ?? ""}`) : undefined;
  if (overflow !== undefined) return { status: 400, type: "invalid_request_error", message: promptTooLong(overflow, error, context.flavor), retry: false };
  const key = `backends.${error.backend}.api_key in mallex.yaml${/^\$\{\w+\}$/.test(context.apiKeySource ?? "") ? ` (now ${context.apiKeySource})` : context.apiKeySource === undefined ? " (not set)" : ""}`;
  switch (status) {
    case 401:
      return {
        status: 401,
        type: "authentication_error",
        message: `The model server refused mallex's credentials: ${error.message}. Check ${key}.`,
        retry: false,
      };
    case 403:
      return {
        status: 403,
        type: "permission_error",
        message: `The model server denied access: ${error.message}. Check ${key} and what that key may use.`,
        retry: false,
      };
    case 413:
      return { status: 413, type: "request_too_large", message: `The model server found the request too large: ${error.message}`, retry: false };
    case 429:
      return {
        status: 429,
        type: "rate_limit_error",
        message: `The model server is rate-limiting mallex: ${error.message}`,
        retry: true,
        ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }),
      };
    case 503:
      return {
        status: 503,
        type: "api_error",
        message: `The model server is unavailable: ${error.message}`,
        retry: true,
        ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }),
      };
    case 529:
      return { status: 529, type: "overloaded_error", message: `The model server is overloaded: ${error.message}`, retry: true };
  }
  if (status >= 500) return { status: 502, type: "api_error", message: `The model server failed: ${error.message}`, retry: true };
  return { status: 400, type: "invalid_request_error", message: `The model server rejected the request: ${error.message}`, retry: false };
}
