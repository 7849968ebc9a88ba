import type { H3, H3Event } from "h3";
import { isAuthorized } from "../../http/check-auth.js";
import type { ServerContext } from "../../pipeline/server-context.js";
import { bodyTextOf } from "../guard-request.js";
import { refuseRequest } from "../refuse-request.js";

/** What an action gives: its answer (`value`, sent as JSON), or why it was refused — a sentence and a status — having changed nothing. */
export type ModelActionResult = { ok: true; value: unknown; status?: number } | { ok: false; status: number; message: string };

/** A download, checked before its answer starts: then run, each progress event sent as it comes. */
export type ModelDownload =
  { ok: false; status: number; message: string } | { ok: true; run(progress: (event: object) => void, signal: AbortSignal): Promise<ModelActionResult> };

/**
 * The Models page's actions, as the process that runs this proxy provides them (cli/model-actions/:
 * they change the user's config, the models folder, and start an eval, none of which the server
 * itself may reach). Each takes the request's JSON body as sent and checks it.
 */
export interface ModelActions {
  /** Body `{ tier, model | profile }` → the planned change: `{ file, hash, newText, diff, tier, from, profile, added, model }`. */
  planTierChange(body: unknown): Promise<ModelActionResult>;
  /** Body `{ hash, newText }` → `{ file, backup, served, notes }` once written (and served, where this mallex could switch). */
  applyTierChange(body: unknown): Promise<ModelActionResult>;
  /** Body `{ ref }` (hf:org/repo/file.gguf) → a stream of progress events, then `done` or `error`. */
  download(body: unknown): Promise<ModelDownload>;
  /** Body `{ path }` → `{ removed }`. */
  removeModel(body: unknown): Promise<ModelActionResult>;
  /** Body `{ profile, task? }` → 202 `{ profile, tasks }`: the run's progress is the Eval tab's (the events feed's `eval`). */
  startEval(body: unknown): Promise<ModelActionResult>;
}

/**
 * POST /ui/api/models/… : the Models page's actions, each behind the same guard as every /ui/api
 * route (the origin guard in front of every request, then the token), with a JSON body (a form or a
 * text body a page could send without asking is refused), answered in JSON — a refusal in the same
 * error envelope as every refusal, its message the one sentence the page shows. A download answers
 * with a stream of JSON lines (application/x-ndjson): `{ type: "progress", line, percent }`…, then
 * `{ type: "done", ref, path, sizeBytes }` or `{ type: "error", status, message }`; it stops, and
 * leaves nothing, when its client goes away or mallex stops.
 */
export function addModelActionRoutes(app: H3, ctx: ServerContext, actions: ModelActions | undefined): void {
  const guarded = (handle: (body: unknown, event: H3Event) => Promise<Response> | Response) => async (event: H3Event) => {
    if (!ctx.dashboard || !actions) return refuseRequest(event, 404, "mallex serves no Models page actions here");
    if (!isAuthorized(event.req.headers, ctx.authToken))
      return refuseRequest(event, 401, "This mallex requires its token: send the token from mallex's config as Authorization: Bearer.");
    if (!/^application\/json\s*(;|$)/i.test(event.req.headers.get("content-type") ?? ""))
      return refuseRequest(event, 415, "send the action's request as JSON (content-type: application/json)");
    let body: unknown;
    try {
      body = JSON.parse(await bodyTextOf(event));
    } catch {
      return refuseRequest(event, 400, "the request's body is not JSON");
    }
    return handle(body, event);
  };
  const answer = (event: H3Event, result: ModelActionResult, what: string) => {
    if (!result.ok) return refuseRequest(event, result.status, result.message);
    if (what !== "") ctx.log(`dashboard: ${what}`);
    return Response.json(result.value, { status: result.status ?? 200, headers: { "cache-control": "no-store" } });
  };

  app.post(
    "/ui/api/models/tier/plan",
    guarded(async (body, event) => answer(event, await actions!.planTierChange(body), "")),
  );
  app.post(
    "/ui/api/models/tier/apply",
    guarded(async (body, event) => {
      const result = await actions!.applyTierChange(body);
      return answer(event, result, result.ok ? `tier change written to ${(result.value as { file?: string }).file ?? "the config"}` : "");
    }),
  );
  app.post(
    "/ui/api/models/remove",
    guarded(async (body, event) => {
      const result = await actions!.removeModel(body);
      return answer(event, result, result.ok ? `removed ${((result.value as { removed?: string[] }).removed ?? []).join(", ")}` : "");
    }),
  );
  app.post(
    "/ui/api/models/eval",
    guarded(async (body, event) => answer(event, await actions!.startEval(body), "eval started from the Models page")),
  );
  app.post(
    "/ui/api/models/download",
    guarded(async (body, event) => {
      const download = await actions!.download(body);
      if (!download.ok) return refuseRequest(event, download.status, download.message);
      return streamDownload(download.run, [event.req.signal, ...(ctx.dashboard?.closing ? [ctx.dashboard.closing] : [])], ctx.log);
    }),
  );
}

/** The download's events as JSON lines; closed in every case, the download stopped when the client or the server goes. */
function streamDownload(run: Extract<ModelDownload, { ok: true }>["run"], stops: AbortSignal[], log: (line: string) => void): Response {
  const encoder = new TextEncoder();
  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, ...stops]);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (event: object) => {
        try {
          controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`));
        } catch {
          // The client is gone: the signal stops the download.
        }
      };
      void run(send, signal)
        .then(
          (result) => {
            log(`dashboard: download ${result.ok ? "finished" : `failed: ${result.message}`}`);
            send(result.ok ? { type: "done", ...(result.value as object) } : { type: "error", status: result.status, message: result.message });
          },
          (error: unknown) => send({ type: "error", status: 500, message: `mallex failed on this download: ${(error as Error).message}` }),
        )
        .finally(() => {
          try {
            controller.close();
          } catch {
            // Already closed by the reader's cancel.
          }
        });
    },
    cancel: () => stop.abort(new Error("the client went away")),
  });
  return new Response(body, { headers: { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" } });
}
