import { FastResponse } from "srvx";
import type { AnthropicErrorObject, AnthropicErrorType } from "../translate/anthropic-types.js";
import { mapStatusToErrorType, toAnthropicError } from "../translate/anthropic-error.js";

export interface ErrorResponseOptions {
  type?: AnthropicErrorType;
  /** false: tell the Anthropic SDK a retry cannot help (it honours x-should-retry before the status). */
  retry?: boolean;
  /** Sets the `request-id` header and the body's `request_id`. */
  requestId?: string;
  /** `error.details`, e.g. the `error_code` the SDK picks its error class by. */
  details?: AnthropicErrorObject["details"];
  /** `retry-after` (seconds or an HTTP date): when a rate-limited client may try again. */
  retryAfter?: string;
}

/** An error in Anthropic's own envelope, so Claude Code shows the message instead of a parse failure. */
export function errorResponse(status: number, message: string, options: ErrorResponseOptions = {}): Response {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.retry !== undefined) headers["x-should-retry"] = String(options.retry);
  if (options.requestId) headers["request-id"] = options.requestId;
  if (options.retryAfter !== undefined) headers["retry-after"] = options.retryAfter;
  const body = toAnthropicError(status, options.type ?? mapStatusToErrorType(status), message, options.requestId, options.details);
  return new FastResponse(JSON.stringify(body), { status, headers });
}
