import type { AnthropicErrorBody, AnthropicErrorObject, AnthropicErrorType } from "./anthropic-types.js";

/**
 * HTTP status → Anthropic error type, per the documented table. Unlisted 4xx are
 * `invalid_request_error` and unlisted 5xx `api_error`, as the API itself does.
 *
 * @see docs/reliability.md, "Timeouts and errors"; "Errors" in Anthropic's API reference (HTTP status
 *   and error type).
 */
export function mapStatusToErrorType(status: number): AnthropicErrorType {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 504:
      return "timeout_error";
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

/**
 * Anthropic error type → the HTTP status to answer with. Exhaustive: a new error type fails to
 * compile here. The SDK retries 408/409/429/≥500, so only transient kinds get a retryable status.
 *
 * @see docs/reliability.md, "Timeouts and errors"; "Errors" in Anthropic's API reference (HTTP status
 *   and error type).
 */
export function mapErrorTypeToStatus(type: AnthropicErrorType): number {
  switch (type) {
    case "invalid_request_error":
      return 400;
    case "authentication_error":
      return 401;
    case "billing_error":
      return 402;
    case "permission_error":
      return 403;
    case "not_found_error":
      return 404;
    case "request_too_large":
      return 413;
    case "rate_limit_error":
      return 429;
    case "api_error":
      return 500;
    case "timeout_error":
      return 504;
    case "overloaded_error":
      return 529;
    default:
      return type satisfies never;
  }
}

/**
 * The one place that builds the Anthropic error envelope (HTTP bodies and, minus `request_id`,
 * the stream `error` event). `type` defaults to the documented type for `status`.
 */
export function toAnthropicError(
  status: number,
  type: AnthropicErrorType | undefined,
  message: string,
  requestId?: string,
  details?: AnthropicErrorObject["details"],
): AnthropicErrorBody {
  const body: AnthropicErrorBody = {
    type: "error",
    error: { type: type ?? mapStatusToErrorType(status), message, ...(details ? { details } : {}) },
  };
  if (requestId !== undefined) body.request_id = requestId;
  return body;
}
