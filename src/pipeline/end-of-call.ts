import type { Upstream } from "./call-backend.js";
import type { AnsweringCall } from "./plan-local-call.js";
import { formatRequestLog, onceEnded } from "../observe/request-log.js";
import type { RequestScope } from "./request-scope.js";
import { learnFromRequest } from "../observe/learn-from-request.js";

/** The request's log line, metrics and learned rates, once, when it ends; its backend slot freed then. */
export function endOfCall(scope: RequestScope, call: AnsweringCall, upstream: Upstream): (error?: string) => void {
  const { deps, ttft } = scope.server;
  const { metrics } = call;
  // Which server of a pool answers: the request's log line says it.
  if (upstream.server !== undefined) metrics.route = `${call.routeLabel} on ${upstream.server}`;
  metrics.queuedMs = upstream.queuedMs;
  metrics.loadingMs = upstream.loadingMs;
  metrics.sentAt = upstream.sentAt;
  return onceEnded(metrics, deps.now, (m) => {
    upstream.release();
    scope.log(formatRequestLog(m));
    if (ttft) learnFromRequest(ttft, call.route.profile, m, call.prompt);
  });
}
