import type { UpstreamClient } from "../backends/upstream-client.js";
import type { RoutingTable } from "../compile/routing-table.js";
import type { RouteDecision } from "../router/select-route.js";
import type { TrimReport } from "../trim/trim-types.js";
import { clip, describeResponse, describeRoute, describeTrim, type DebugLevel } from "./debug-lines.js";
import { formatLastRequest, type LastRequestCapture, type LastRequestFiles } from "./format-last-request.js";
import type { Redactor } from "./redact-secrets.js";
import type { RequestEnd, RequestTrace } from "./request-record.js";
import { summarizeResponse } from "./response-summary.js";
import type { LastRequestSaver } from "./save-last-request.js";
import { bodyText } from "../shared/read-body-text.js";
import { clipText, heldBytes, RETENTION_LIMITS } from "../shared/retention-limits.js";
import { watchUpstream } from "./watch-upstream.js";

/**
 * One /v1/messages request as MALLEX_DEBUG and the saved last request see it. messages.ts calls
 * `trimmed`; its backend calls go through `upstream`; create-app passes its response through
 * `respond` and observeMessages its end to `ended`.
 */
export interface RequestWatch {
  /** A local route's trimming is done (again for each profile an over-budget request escalates to). */
  trimmed(route: RouteDecision, report: TrimReport): void;
  /** The client the request's backend calls go through (see watch-upstream.ts). */
  upstream: UpstreamClient;
  /** The response on its way to the client: an error's body is kept for the summary, and from level 3 every byte is logged. */
  respond(response: Response): Response;
  /** The request ended: its summary is logged (level 1) and the last request saved, off its path. */
  ended(end: RequestEnd): void;
}

/** What create-app knows of the request when it starts. */
export interface WatchInit {
  requestId: string;
  method: string;
  /** Path and query. */
  path: string;
  headers: Headers;
  /** The client's body as it came: its text, or its bytes (decoded only once the request is over, for its record). */
  body: string | Buffer;
  trace: RequestTrace;
}

export interface RequestWatcherOptions {
  level: DebugLevel;
  /** Writes one debug line (the log file, and stderr); used from level 1. */
  debug: (line: string) => void;
  redact: Redactor;
  table: RoutingTable;
  upstream: UpstreamClient;
  /** Absent: the last request is not saved (observability.save_last_request: false). */
  saver?: LastRequestSaver;
  /** Absent: no dashboard. Told each ended request's explanation, to build (redacted) only if someone asks, and about how many bytes of memory it keeps. */
  keep?: (requestId: string, files: () => LastRequestFiles, bytes: number) => void;
  now(): number;
  /** The wall clock, for the saved request's `received_at`. */
  date(): Date;
}

/**
 * The watch each /v1/messages request gets, or undefined when there is nothing to watch for (debug
 * off and the last request not saved): then no request pays for any of it.
 */
export function createRequestWatcher(options: RequestWatcherOptions): ((init: WatchInit) => RequestWatch) | undefined {
  if (options.level === 0 && options.saver === undefined && options.keep === undefined) return undefined;
  return (init) => watchRequest(init, options);
}

function watchRequest(init: WatchInit, options: RequestWatcherOptions): RequestWatch {
  const { level, redact, table, saver, keep } = options;
  // What the closures below keep of the request: never `init` itself, whose body may be 30 MB and
  // would then live as long as the request (and its explanation) does.
  const { requestId, method, path, trace } = init;
  const headers = [...init.headers];
  // A body kept as bytes is small (BYTES_KEPT_UP_TO): kept so, and decoded only if its files are made. Decoded
  // after every answer, Claude Code's 77 KB took ~0.17 ms of the thread the next request waits for.
  const clientBody = typeof init.body === "string" ? clipText(init.body, RETENTION_LIMITS.bodyChars) : init.body;
  const model = level >= 1 ? modelIn(bodyText(init.body)) : "";
  const debug = (line: string) => options.debug(`debug ${line} · ${requestId}`);
  const receivedAt = options.date().toISOString();
  const upstream = watchUpstream(options.upstream, { level, debug, redact, now: options.now });
  const trims: TrimReport[] = [];
  let routeShown: RouteDecision | undefined;
  let errorBody: Promise<string> | undefined;
  const showRoute = () => {
    const route = trace.route;
    if (level < 1 || route === undefined || route === routeShown) return;
    routeShown = route;
    debug(redact.text(describeRoute(model, route, table)));
  };
  if (level >= 3)
    debug(
      redact.text(`client request: ${init.method} ${init.path} · headers ${JSON.stringify(redact.headers(init.headers))} · body ${clip(bodyText(init.body))}`),
    );

  const client: UpstreamClient = {
    post(url, postInit) {
      showRoute();
      return upstream.client.post(url, postInit);
    },
    close: () => upstream.client.close(),
  };

  return {
    trimmed(route, report) {
      trims.push(report);
      if (level < 1) return;
      if (route !== routeShown) {
        routeShown = route;
        debug(redact.text(describeRoute(model, route, table)));
      }
      for (const line of describeTrim(report)) debug(redact.text(line));
    },
    upstream: client,
    respond(response) {
      if (response.status >= 400)
        errorBody = response
          .clone()
          .text()
          .catch(() => "");
      if (level < 3 || response.body === null) return response;
      return new Response(
        logBytes(response.body, (text) => debug(`sent: ${clip(redact.text(text))}`)),
        { status: response.status, statusText: response.statusText, headers: response.headers },
      );
    },
    ended(end) {
      // After the response's own work: the summary and the files are built off the request's path.
      setImmediate(() => {
        void (errorBody ?? Promise.resolve(undefined)).then((body) => {
          const summary = summarizeResponse({
            status: end.status,
            outcome: end.outcome,
            started: trace.started,
            finishedAt: end.finishedAt,
            ...(trace.metrics ? { metrics: trace.metrics } : {}),
            ...(body === undefined ? {} : { errorBody: body }),
            ...(upstream.forwarded() === undefined ? {} : { forwarded: upstream.forwarded()! }),
            ...(end.error === undefined ? {} : { thrown: end.error }),
          });
          if (level >= 1) {
            showRoute();
            debug(redact.text(describeResponse(summary)));
          }
          const capture = boundedCapture({
            requestId,
            receivedAt,
            method,
            path,
            headers,
            body: clientBody,
            ...(trace.route ? { route: trace.route } : {}),
            trims,
            calls: upstream.calls,
            summary,
          });
          const files = filesOf(capture.capture, table, redact);
          saver?.save(files);
          keep?.(requestId, files, capture.bytes);
        });
      });
    },
  };
}

/**
 * What is kept of a request once it ended: each body (the client's, every upstream call's) cut at
 * RETENTION_LIMITS.bodyChars, in strings of their own, so that neither the dashboard's last
 * explanations nor the queued saved request hold a 30 MB prompt; and about how many bytes of memory that is.
 */
function boundedCapture(capture: LastRequestCapture): { capture: LastRequestCapture; bytes: number } {
  const max = RETENTION_LIMITS.bodyChars;
  // Bytes are kept only up to BYTES_KEPT_UP_TO, which decode to no more characters than that.
  const body = typeof capture.body === "string" ? clipText(capture.body, max) : capture.body;
  const calls = capture.calls.map((call) => ({ ...call, body: clipText(call.body, max) }));
  // Headers are bounded by the server's maxHeaderSize; a copy, so the request's Headers object goes.
  const headers = [...capture.headers];
  const bytes =
    (typeof body === "string" ? heldBytes(body) : body.length) +
    calls.reduce((sum, call) => sum + heldBytes(call.body), 0) +
    headers.reduce((sum, [name, value]) => sum + name.length + value.length, 0);
  return { capture: { ...capture, body, calls, headers }, bytes };
}

/** Built here, not in watchRequest: a closure made there would keep its whole scope (the request's body among it) alive. */
function filesOf(capture: LastRequestCapture, table: RoutingTable, redact: Redactor): () => LastRequestFiles {
  return () => formatLastRequest(capture, table, redact);
}

/** The client's `model`, for the debug lines (a body that is not JSON has none). */
function modelIn(body: string): string {
  try {
    const model = (JSON.parse(body) as { model?: unknown }).model;
    return typeof model === "string" ? clipText(model, RETENTION_LIMITS.modelChars) : "(no model)";
  } catch {
    return "(no model)";
  }
}

/** The body passed on as it is, each piece of it told to `log` as text, one SSE event at a time where it is SSE. */
function logBytes(body: ReadableStream<Uint8Array>, log: (text: string) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  const emit = (text: string) => {
    pending += text;
    let cut: number;
    while ((cut = pending.indexOf("\n\n")) !== -1) {
      log(pending.slice(0, cut));
      pending = pending.slice(cut + 2);
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        emit(decoder.decode());
        if (pending.trim() !== "") log(pending);
        controller.close();
        return;
      }
      controller.enqueue(value);
      emit(decoder.decode(value, { stream: true }));
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
