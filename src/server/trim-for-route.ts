import type { Size } from "../../generated/config.js";
import type { PromptSource } from "../router/describe-request.js";
import type { RouteDecision } from "../router/select-route.js";
import { trimPlanFor } from "../trim/plan-trim.js";
import { trimRequest } from "../trim/trim-request.js";
import { trimToFit } from "../trim/trim-to-fit.js";
import type { TrimResult } from "../trim/trim-types.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import type { ServerContext } from "./server-context.js";

/**
 * The request trimmed for its route's profile — as a smaller size's when only that fits the budget
 * (see trimToFit) — with its report shown to the request's watch and to the Claude Code drift alarm.
 */
export function trimForRoute(req: Request, ctx: ServerContext, request: MessagesRequest, source: PromptSource, route: RouteDecision): { trimmed: TrimResult; smaller?: Size } {
  // The system prompt and tools come trimmed from the prefix cache after the first request with them.
  const trim = (size: Size) => trimRequest(request, trimPlanFor(ctx.table, route.profile, size), ctx.templates, { cache: ctx.prefixCache, source, userAgent: req.headers.get("user-agent") ?? undefined });
  const fitted = trimToFit(trim, route.profile.size);
  ctx.watch?.trimmed(route, fitted.trimmed.report);
  ctx.claudeCodeDrift?.observe(fitted.trimmed.report);
  return fitted;
}
