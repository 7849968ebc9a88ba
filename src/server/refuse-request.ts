import type { H3Event } from "h3";
import { errorResponse, type ErrorResponseOptions } from "../pipeline/error-response.js";

/** The id the app gave this request as it arrived (one is made up if a hook ran before that, which h3 does not do). */
export function requestIdOf(event: H3Event): string {
  return (event.context.requestId as string | undefined) ?? "req_unknown";
}

/**
 * A request answered with an error in Anthropic's envelope, under the request's id. Not retryable
 * unless said (`retry`): what the app refuses here — a foreign origin, no token, a body too large, no
 * such route or model — comes out the same the next time.
 */
export function refuseRequest(event: H3Event, status: number, message: string, options: Omit<ErrorResponseOptions, "requestId"> = {}): Response {
  return errorResponse(status, message, { retry: false, ...options, requestId: requestIdOf(event) });
}
