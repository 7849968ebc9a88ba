import { H3, HTTPError } from "h3";
import { isAuthorized } from "./check-auth.js";
import { errorResponse } from "./error-response.js";
import { countTokens } from "./routes/count-tokens.js";
import { handleMessages } from "./routes/messages.js";
import { listModels, toModelObject } from "./routes/models.js";
import type { ServerContext } from "./server-context.js";
import { checkMessagesBody } from "./validate-messages-body.js";

/** The h3 app: routes only; each handler calls into the pure modules. */
export function createApp(ctx: ServerContext): H3 {
  const app = new H3({
    onError(error) {
      if (error.status === 404) return errorResponse(404, `mallex has no ${error.message || "such route"}`, { retry: false });
      ctx.log(`internal error: ${error.cause instanceof Error ? error.cause.stack : error.message}`);
      return errorResponse(500, `mallex failed on this request: ${error.message}`, { type: "api_error", retry: false });
    },
  });

  // Claude Code's warm-up: HEAD / — any answer is fine, 200 keeps its log quiet.
  app.on("HEAD", "/", () => new Response(null, { status: 200 }));
  app.get("/health", () => ({ status: "ok", profiles: Object.keys(ctx.table.profiles).length, config: ctx.table.hash.slice(0, 12) }));

  app.use((event) => {
    if (event.url.pathname.startsWith("/v1/") && !isAuthorized(event.req.headers, ctx.authToken)) {
      return errorResponse(401, "Invalid local token: send the token from mallex's config as x-api-key or Authorization: Bearer.", { retry: false });
    }
  });

  app.post("/v1/messages", (event) => handleMessages(event.req, ctx));
  app.post("/v1/messages/count_tokens", async (event) => {
    const check = checkMessagesBody(await event.req.text(), ctx.validateMessages, { forCounting: true });
    return check.ok ? countTokens(check.request, ctx) : errorResponse(400, check.message, { retry: false });
  });
  app.get("/v1/models", () => listModels(ctx));
  app.get("/v1/models/:id", (event) => {
    const profile = ctx.table.profiles[event.context.params?.id ?? ""];
    return profile ? toModelObject(profile) : errorResponse(404, `model ${event.context.params?.id} is not a profile in mallex's config`, { retry: false });
  });
  app.all("/**", (event) => {
    throw new HTTPError({ status: 404, message: `route ${event.req.method} ${event.url.pathname}` });
  });
  return app;
}
