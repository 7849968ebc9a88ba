import { H3, HTTPError, type H3Event } from "h3";
import { isAuthorized, isLoopbackHost } from "../http/check-auth.js";
import { originPolicyOf } from "../http/check-request-origin.js";
import { countTokens } from "./routes/count-tokens.js";
import { addDashboardRoutes } from "./routes/dashboard.js";
import { addModelActionRoutes, type ModelActions } from "./routes/model-actions.js";
import { checkConversation } from "../pipeline/check-conversation.js";
import { messagesRoute } from "./routes/messages.js";
import { listModels, retrieveModel } from "./routes/models.js";
import { bodyOf, guardOrigin, limitBody } from "./guard-request.js";
import { refuseRequest, requestIdOf } from "./refuse-request.js";
import { EXPOSITION_CONTENT_TYPE } from "../observe/metrics.js";
import { renderMetrics } from "../observe/mallex-metrics.js";
import { type RequestTrace } from "../observe/request-record.js";
import { formatRouteHeader, ROUTE_HEADER, routeLabelsOf } from "../router/route-header.js";
import { backendAvailability, requestLog } from "../pipeline/request-scope.js";
import type { ServerContext } from "../pipeline/server-context.js";
import { checkMessagesBody } from "../pipeline/check-messages-body.js";

/**
 * The h3 app: routes only; each handler calls into the pure modules. Every request gets an id
 * (ctx.deps.requestId) that every response carries as `request-id`, error bodies as `request_id`,
 * and the request's log lines at their end; a response forwarded from the Anthropic API keeps its own.
 * `routes.modelActions`: the Models page's actions, which the process running the proxy provides.
 */
export function createApp(ctx: ServerContext, routes: { modelActions?: ModelActions } = {}): H3 {
  const logFor = (event: H3Event) => requestLog(ctx, requestIdOf(event));
  const app = new H3({
    onRequest(event) {
      event.context.requestId = ctx.deps.requestId();
    },
    onResponse(response, event) {
      if (!response.headers.has("request-id")) response.headers.set("request-id", requestIdOf(event));
      // A routed /v1/messages answer says where it went, errors and forwarded answers included.
      const route = (event.context.trace as RequestTrace | undefined)?.route;
      if (route) response.headers.set(ROUTE_HEADER, formatRouteHeader(routeLabelsOf(route, ctx.table)));
    },
    onError(error, event) {
      if (error.status === 404) return refuseRequest(event, 404, `mallex has no ${error.message || "such route"}`);
      logFor(event)(`internal error: ${error.cause instanceof Error ? error.cause.stack : error.message}`);
      return refuseRequest(event, 500, `mallex failed on this request: ${error.message}`, { type: "api_error" });
    },
  });

  // Claude Code's warm-up: HEAD / — any answer is fine, 200 keeps its log quiet.
  app.on("HEAD", "/", () => new Response(null, { status: 200 }));
  app.get("/health", () => ({ status: "ok", profiles: Object.keys(ctx.table.profiles).length, config: ctx.table.hash.slice(0, 12) }));

  // Before anything else answers: a web page (a foreign Host or Origin) gets nothing, not even /health.
  app.use(guardOrigin(originPolicyOf(ctx.table.server)));
  // /metrics needs the token too where other machines can reach it (a token is required there).
  const metricsNeedToken = !isLoopbackHost(ctx.table.server.host);
  app.use((event) => {
    if ((event.url.pathname.startsWith("/v1/") || (metricsNeedToken && event.url.pathname === "/metrics")) && !isAuthorized(event.req.headers, ctx.authToken)) {
      return refuseRequest(event, 401, "Invalid local token: send the token from mallex's config as x-api-key or Authorization: Bearer.");
    }
  });
  app.use(limitBody(ctx.table.server.maxBodyBytes, (event, line) => logFor(event)(line)));

  app.get(
    "/metrics",
    () =>
      new Response(
        renderMetrics(ctx.metrics, {
          supervisors: ctx.supervisors,
          breakers: ctx.breakers,
          learned: ctx.ttft && { table: ctx.table, rates: ctx.ttft.rates },
          pools: ctx.pools,
          queues: ctx.queues,
          backends: ctx.backends,
          capacities: ctx.capacities,
          table: ctx.table,
        }),
        { headers: { "content-type": EXPOSITION_CONTENT_TYPE } },
      ),
  );
  app.post("/v1/messages", messagesRoute(ctx));
  app.post("/v1/messages/count_tokens", async (event) => {
    const body = await bodyOf(event);
    // A large body's garbage is collected once this turn of the event loop is over.
    const check = checkMessagesBody(body, ctx.validateMessages, { forCounting: true, cache: ctx.prefixCache });
    ctx.collectAfter?.(body.length);
    if (!check.ok) return refuseRequest(event, 400, check.message);
    const broken = checkConversation(check.request, { forCounting: true });
    return broken
      ? refuseRequest(event, 400, broken)
      : countTokens(check.request, { table: ctx.table, backends: ctx.backends, log: logFor(event) }, check.source);
  });
  app.get("/v1/models", (event) => {
    const listed = listModels(ctx, event.url.searchParams);
    return listed.ok ? listed.page : refuseRequest(event, 400, listed.message);
  });
  app.get("/v1/models/:id", (event) => {
    const id = decodeModelId(event.context.params?.id ?? "");
    const model = retrieveModel(ctx, id, (name) => backendAvailability(ctx, name));
    return model ?? refuseRequest(event, 404, `model: ${id}`);
  });
  addDashboardRoutes(app, ctx);
  addModelActionRoutes(app, ctx, routes.modelActions);
  app.all("/**", (event) => {
    throw new HTTPError({ status: 404, message: `route ${event.req.method} ${event.url.pathname}` });
  });
  return app;
}

/** The id as the client meant it: clients encode a `/` in a name (`mallex/qwen3-coder-30b`) as %2F. */
function decodeModelId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
