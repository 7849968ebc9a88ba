import type { H3Event } from "h3";
import { createRequestRecord, observeMessages, type RequestTrace } from "../../observe/request-record.js";
import type { RequestWatch } from "../../observe/request-watch.js";
import { handleMessages } from "../../pipeline/handle-messages.js";
import { scopeRequest } from "../../pipeline/request-scope.js";
import type { ServerContext } from "../../pipeline/server-context.js";
import { bodyOf } from "../guard-request.js";
import { requestIdOf } from "../refuse-request.js";

/**
 * POST /v1/messages, the HTTP binding of the pipeline (src/pipeline/handle-messages.ts): the
 * request's trace and metrics, its watch (MALLEX_DEBUG, the saved last request) and the dashboard's
 * line when it ends, and its body handed to the pipeline with the request's own scope.
 */
export function messagesRoute(ctx: ServerContext) {
  return async (event: H3Event): Promise<Response> => {
    const trace: RequestTrace = (event.context.trace = { started: ctx.deps.now() });
    ctx.dashboard?.feed.requestStarted(requestIdOf(event), trace);
    // MALLEX_DEBUG or the saved last request: the request's backend calls go through its watch's client.
    let watch: RequestWatch | undefined;
    let bodyChars = 0;
    const response = await observeMessages(
      ctx.metrics,
      ctx.table,
      trace,
      {
        now: ctx.deps.now,
        signal: event.req.signal,
        onEnd: (end) => {
          watch?.ended(end);
          ctx.dashboard?.feed.requestEnded(requestIdOf(event), trace, end);
          ctx.collectAfter?.(bodyChars);
        },
        sent: event.runtime?.node?.res,
      },
      async () => {
        const body = { content: await bodyOf(event) };
        bodyChars = body.content.length;
        watch = ctx.watchRequest?.({
          requestId: requestIdOf(event),
          method: event.req.method,
          path: `${event.url.pathname}${event.url.search}`,
          headers: event.req.headers,
          body: body.content,
          trace,
        });
        const scope = scopeRequest(ctx, {
          id: requestIdOf(event),
          signal: event.req.signal,
          session: event.req.headers.get("x-claude-code-session-id") ?? undefined,
          record: createRequestRecord(trace, ctx.deps.now),
          watch,
        });
        return handleMessages(scope, event.req.headers, body);
      },
    );
    return watch === undefined ? response : watch.respond(response);
  };
}
