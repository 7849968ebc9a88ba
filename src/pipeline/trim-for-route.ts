import type { Size } from "../../generated/config.js";
import type { PromptSource } from "../router/describe-request.js";
import type { RouteDecision } from "../router/select-route.js";
import { whenReady, type MaybePromise } from "../shared/maybe-promise.js";
import { trimPlanFor } from "../trim/plan-trim.js";
import { trimRequestSteps } from "../trim/trim-request.js";
import { runStepsYielding, STEP_SLICE_MS } from "../trim/run-steps.js";
import { trimToFit } from "../trim/trim-to-fit.js";
import type { TrimResult } from "../trim/trim-types.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import type { RequestScope } from "./request-scope.js";

export type FittedTrim = { trimmed: TrimResult; smaller?: Size };

/** What trimming a routed request reads. */
export interface TrimInput {
  /** The request as the client sent it. */
  request: MessagesRequest;
  /** Where its prompt's parts are in the body's text (checkMessagesBody). */
  source: PromptSource;
  route: RouteDecision;
  /** The client's `user-agent` (Claude Code's names its release). */
  userAgent: string | undefined;
}

/**
 * The request trimmed for its route's profile — as a smaller size's when only that fits the budget
 * (see trimToFit) — with its report shown to the request's watch and to the Claude Code drift alarm.
 * Trimming runs as steps: one whose filters take longer than STEP_SLICE_MS gives the event loop a turn
 * every slice (so /health and other clients are answered meanwhile) and comes back as a promise; a
 * normal one stays synchronous.
 */
export function trimForRoute(scope: RequestScope, { request, source, route, userAgent }: TrimInput): MaybePromise<FittedTrim> {
  const { templates, prefixCache } = scope.server;
  // The system prompt and tools come trimmed from the prefix cache after the first request with them.
  const trim = (size: Size) => trimRequestSteps(request, trimPlanFor(scope.table, route.profile, size), templates, { cache: prefixCache, source, userAgent });
  const fitted = runStepsYielding(trimToFit(trim, route.profile.size), { sliceMs: STEP_SLICE_MS, now: () => performance.now() });
  return whenReady(fitted, (fit) => observed(scope, route, fit));
}

function observed(scope: RequestScope, route: RouteDecision, fitted: FittedTrim): FittedTrim {
  scope.watch?.trimmed(route, fitted.trimmed.report);
  // Untrimmed, no rule places anything: that is the profile's choice, not a Claude Code release that changed.
  if (route.profile.trim !== false) scope.server.claudeCodeDrift?.observe(fitted.trimmed.report);
  return fitted;
}
