import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { H3, H3Event } from "h3";
import { isAuthorized } from "../../http/check-auth.js";
import type { Dashboard } from "../../observe/dashboard/dashboard-context.js";
import type { DashboardMessage } from "../../observe/dashboard/dashboard-feed.js";
import { describeRoutingTable } from "../../observe/dashboard/describe-routing-table.js";
import { maskPrompts } from "../../observe/dashboard/mask-prompts.js";
import { refuseRequest } from "../refuse-request.js";
import { maskEvalView, type EvalView } from "../../observe/dashboard/eval-view.js";
import type { ServerContext } from "../../pipeline/server-context.js";

const ASSETS: Record<string, string> = {
  "/ui": "index.html",
  "/ui/": "index.html",
  "/ui/app.js": "app.js",
  "/ui/style.css": "style.css",
};
/** Unread messages a /ui/events client may fall behind by before it is disconnected (its page reconnects and gets a fresh snapshot). */
const MAX_QUEUED = 1000;
const CONTENT_TYPES: Record<string, string> = { html: "text/html; charset=utf-8", js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8" };
// The page loads its own script and style and talks to its own origin: nothing else, and no frame may embed it.
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/**
 * GET /ui and its assets (the page holds no data, so it loads without the token and asks for it),
 * then the data, each behind the same token as /v1/: /ui/events (SSE: a snapshot, then each change),
 * /ui/api/snapshot, a request's explanation, the routing table, this machine's models, and stop/start
 * of a model server.
 */
export function addDashboardRoutes(app: H3, ctx: ServerContext): void {
  const dashboard = ctx.dashboard;
  const off = (event: H3Event) => refuseRequest(event, 404, "mallex serves no dashboard here");
  const refused = (event: H3Event) =>
    isAuthorized(event.req.headers, ctx.authToken)
      ? undefined
      : refuseRequest(event, 401, "This mallex requires its token: send the token from mallex's config as Authorization: Bearer.");
  const assets = new Map<string, Promise<string>>();
  // What could not be read of MALLEX_HOME's measurements goes to the log once, not at each look at the tab.
  const toldProblems = new Set<string>();

  for (const path of Object.keys(ASSETS)) {
    app.get(path, async (event) => {
      if (!dashboard) return off(event);
      const name = ASSETS[path]!;
      // Read once per server: the page does not change while mallex runs.
      let text = assets.get(name);
      if (text === undefined) assets.set(name, (text = readFile(join(dashboard.assetsDir, name), "utf8")));
      try {
        return new Response(await text, { headers: { "content-type": CONTENT_TYPES[name.split(".").pop()!]!, ...PAGE_HEADERS } });
      } catch {
        assets.delete(name);
        return refuseRequest(event, 503, `The dashboard's files are missing from ${dashboard.assetsDir}: run npm run build in mallex's folder.`);
      }
    });
  }

  app.get("/ui/events", (event) => {
    if (!dashboard) return off(event);
    const refusal = refused(event);
    if (refusal) return refusal;
    return eventStream(dashboard, event.req.signal) ?? refuseRequest(event, 503, "Too many dashboards are open on this mallex: close one and reload.");
  });
  app.get("/ui/api/snapshot", (event) => {
    if (!dashboard) return off(event);
    return refused(event) ?? Response.json(dashboard.feed.snapshot());
  });
  app.get("/ui/api/eval", async (event) => {
    if (!dashboard) return off(event);
    const refusal = refused(event);
    if (refusal) return refusal;
    const live = dashboard.feed.evalView();
    if (live !== undefined) return Response.json({ source: "live", eval: live });
    const saved = dashboard.lastEvalFile === undefined ? undefined : await readLastEval(dashboard.lastEvalFile);
    if (saved === undefined) return Response.json({ source: "none" });
    if ("unreadable" in saved) return refuseRequest(event, 500, saved.unreadable);
    return Response.json({ source: "saved", eval: dashboard.showPrompts ? saved.view : maskEvalView(saved.view) });
  });
  app.get("/ui/api/models", async (event) => {
    if (!dashboard) return off(event);
    const refusal = refused(event);
    if (refusal) return refusal;
    if (!dashboard.listModels) return refuseRequest(event, 404, "This mallex lists no models: it was started without the mallex command, which lists them.");
    let listed: Awaited<ReturnType<NonNullable<typeof dashboard.listModels>>>;
    try {
      // The live table: each profile's context as its server holds it.
      listed = await dashboard.listModels(ctx.table);
    } catch (error) {
      return refuseRequest(event, 500, `mallex could not list this machine's models: ${(error as Error).message}`);
    }
    for (const problem of listed.problems) {
      if (toldProblems.has(problem)) continue;
      toldProblems.add(problem);
      ctx.log(`dashboard: models: ${problem}`);
    }
    // The folder a model may be removed from, beside the list (URI-encoded: a header holds no other characters).
    return Response.json(
      listed.models,
      dashboard.modelsDir === undefined ? {} : { headers: { "x-mallex-models-dir": encodeURIComponent(dashboard.modelsDir) } },
    );
  });
  app.get("/ui/api/config", (event) => {
    if (!dashboard) return off(event);
    return refused(event) ?? Response.json(describeRoutingTable(ctx.table));
  });
  app.get("/ui/api/requests/:id", (event) => {
    if (!dashboard) return off(event);
    const refusal = refused(event);
    if (refusal) return refusal;
    const id = event.context.params?.id ?? "";
    const files = dashboard.feed.explanation(id);
    if (files === undefined) return refuseRequest(event, 404, `mallex keeps no explanation of request ${id}: only the most recent requests are kept.`);
    return Response.json({ id, prompts: dashboard.showPrompts, files: dashboard.showPrompts ? files : maskPrompts(files) });
  });
  app.post("/ui/api/servers/:key/:action", (event) => {
    if (!dashboard) return off(event);
    const refusal = refused(event);
    if (refusal) return refusal;
    const { key = "", action = "" } = event.context.params ?? {};
    const supervisor = ctx.supervisors?.all().find((s) => s.spec.key === key);
    if (supervisor === undefined) return refuseRequest(event, 404, `mallex supervises no model server ${key}`);
    if (action !== "stop" && action !== "start") return refuseRequest(event, 404, `a model server can be stopped or started, not ${action}`);
    ctx.log(`dashboard: ${action} model server ${key}`);
    // The outcome shows as the server's state and last error (its events): the answer only says it began.
    if (action === "stop") void supervisor.stop().catch((error: unknown) => ctx.log(`dashboard: stopping ${key} failed: ${(error as Error).message}`));
    else void supervisor.ensureReady().catch((error: unknown) => ctx.log(`dashboard: starting ${key} failed: ${(error as Error).message}`));
    return new Response(JSON.stringify({ key, action }), { status: 202, headers: { "content-type": "application/json" } });
  });
}

/** The saved last eval (saveLastEval's file); undefined: none saved; `unreadable`: one that cannot be shown, said why. */
async function readLastEval(file: string): Promise<{ view: EvalView } | { unreadable: string } | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT"
      ? undefined
      : { unreadable: `cannot read the last eval report ${file}: ${(error as Error).message}` };
  }
  try {
    const view = JSON.parse(text) as EvalView;
    if (typeof view !== "object" || view === null || typeof view.report !== "object" || view.report === null || !Array.isArray(view.report.tasks))
      throw new Error("not an eval report");
    return { view };
  } catch (error) {
    return { unreadable: `the last eval report ${file} is not one mallex wrote (${(error as Error).message}): run mallex eval again` };
  }
}

/** SSE: the snapshot, then each message the feed sends, with a comment every heartbeat; undefined when the feed has no room. */
function eventStream(dashboard: Dashboard, signal: AbortSignal): Response | undefined {
  const encoder = new TextEncoder();
  let stop = () => {};
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;
  // A stream that ended between two messages stops listening: the feed's other clients are not its
  // concern. Nor is a client that stopped reading: past MAX_QUEUED unread messages it is let go.
  const write = (text: string) => {
    const controller = controllerRef;
    if (controller === undefined) return;
    try {
      if ((controller.desiredSize ?? 0) < -MAX_QUEUED) {
        stop();
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(text));
    } catch {
      stop();
    }
  };
  const send = (message: DashboardMessage) => write(`event: ${message.type}\ndata: ${JSON.stringify(message)}\n\n`);
  // Let go for a newer client (the feed's bound): told why, then closed; its page may reconnect.
  const evict = () => {
    write(`event: evicted\ndata: ${JSON.stringify({ type: "evicted", message: "A newer dashboard took this one's place." })}\n\n`);
    const controller = controllerRef;
    stop();
    try {
      controller?.close();
    } catch {
      // Already closed by the reader's cancel.
    }
  };
  const unsubscribe = dashboard.feed.subscribe(send, evict);
  if (unsubscribe === undefined) return undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controllerRef = controller;
      send(dashboard.feed.snapshot());
      const heartbeat = setInterval(() => write(": ping\n\n"), dashboard.heartbeatMs);
      const end = () => {
        stop();
        try {
          controller.close();
        } catch {
          // Already closed by the reader's cancel.
        }
      };
      stop = () => {
        clearInterval(heartbeat);
        unsubscribe();
        controllerRef = undefined;
        // The server outlives its streams: a stream gone must not stay among its listeners.
        dashboard.closing?.removeEventListener("abort", end);
      };
      signal.addEventListener("abort", end, { once: true });
      if (dashboard.closing?.aborted) end();
      else dashboard.closing?.addEventListener("abort", end, { once: true });
    },
    cancel: () => stop(),
  });
  return new Response(body, { headers: { "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no" } });
}
