import { isBackendFailureStatus, outcomeOfError, retryAfterOf } from "../backends/circuit-breaker.js";
import { forwardToAnthropic } from "../backends/forward-to-anthropic.js";
import { upstreamTimeouts } from "../backends/upstream-client.js";
import type { RouteDecision } from "../router/select-route.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import { redactorOf } from "./redactor-of.js";
import type { ServerContext } from "./server-context.js";

/** A request routed to the real Anthropic API: sent on as the client wrote it, its answer passed back, its backend's circuit told how it went (a failure then goes on to the failure reply). */
export function passThroughToAnthropic(req: Request, ctx: ServerContext, request: MessagesRequest, route: RouteDecision, routeLabel: string): Promise<Response> {
  const backend = ctx.backends[route.profile.backend]!;
  ctx.log(`${routeLabel} · forwarded to the Anthropic API`);
  // Begun before the first await: a half-open breaker's one probe is this request's, not the next one's.
  const ticket = ctx.breakers?.begin(backend.name);
  return forwardToAnthropic(backend, request, route.profile.model, req.headers, { signal: req.signal, client: ctx.upstream, timeouts: upstreamTimeouts(backend, ctx.requestTimeoutMs, ctx.answerTimeoutMs), redact: redactorOf(ctx).text }).then(
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
