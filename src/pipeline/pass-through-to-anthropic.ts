import { isBackendFailureStatus, outcomeOfError, retryAfterOf } from "../backends/circuit-breaker.js";
import { forwardToAnthropic } from "../backends/forward-to-anthropic.js";
import { upstreamTimeouts } from "../backends/upstream-client.js";
import type { RouteDecision } from "../router/select-route.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import type { RequestScope } from "./request-scope.js";

/** A request routed to the real Anthropic API: sent on as the client wrote it, its answer passed back, its backend's circuit told how it went (a failure then goes on to the failure reply). */
export function passThroughToAnthropic(
  scope: RequestScope,
  headers: Headers,
  { request, route, routeLabel }: { request: MessagesRequest; route: RouteDecision; routeLabel: string },
): Promise<Response> {
  const { server } = scope;
  const backend = server.backends[route.profile.backend]!;
  scope.log(`${routeLabel} · forwarded to the Anthropic API`);
  // Begun before the first await: a half-open breaker's one probe is this request's, not the next one's.
  const ticket = server.breakers?.begin(backend.name);
  return forwardToAnthropic(backend, request, route.profile.model, headers, {
    signal: scope.signal,
    client: scope.upstream,
    timeouts: upstreamTimeouts(backend, server.requestTimeoutMs, server.answerTimeoutMs),
    redact: server.redact.text,
  }).then(
    (response) => {
      ticket?.end(isBackendFailureStatus(response.status) ? { ok: false, ...retryAfterOf(response.headers.get("retry-after")) } : { ok: true });
      return response;
    },
    (error: unknown) => {
      ticket?.end(outcomeOfError(error));
      throw error;
    },
  );
}
