import type { RoutingTable } from "../compile/routing-table.js";
import type { RouteDecision } from "../router/select-route.js";
import type { TrimReport } from "../trim/trim-types.js";
import { bodyText } from "../shared/read-body-text.js";
import type { Redactor } from "./redact-secrets.js";
import type { ResponseSummary } from "./response-summary.js";
import type { UpstreamCall } from "./watch-upstream.js";

/** What one /v1/messages request left for the saved last request: references, formatted only when written. */
export interface LastRequestCapture {
  requestId: string;
  receivedAt: string;
  method: string;
  /** Path and query, as the client asked. */
  path: string;
  headers: Iterable<[string, string]>;
  /** The client's body, as it came: its text, or its bytes (decoded only when the files are made). */
  body: string | Buffer;
  /** The route it finally took; absent: refused before routing. */
  route?: RouteDecision;
  /** Each trimming, in order (an escalation over the budget trims again for the next profile). */
  trims: TrimReport[];
  calls: readonly UpstreamCall[];
  summary: ResponseSummary;
}

/** The files of MALLEX_HOME/last-request/, by name. */
export type LastRequestFiles = Record<"request.json" | "upstream.json" | "route.json" | "response.json", string>;

/**
 * The saved last request as four JSON files, each naming the request: what the client sent, what
 * mallex sent upstream, how it routed and trimmed, and how it ended. Credentials are redacted: by
 * header name, then every known secret, bearer token and key-shaped string in the text. Pure.
 */
export function formatLastRequest(capture: LastRequestCapture, table: RoutingTable, redact: Redactor): LastRequestFiles {
  const id = { request_id: capture.requestId };
  const json = (value: unknown) => `${redact.text(JSON.stringify(value, null, 2))}\n`;
  const calls = capture.calls.map((call) => ({
    method: "POST",
    url: call.url,
    headers: redact.headers(call.headers),
    body: parseOrText(call.body),
    ...(call.status === undefined ? {} : { status: call.status }),
    ...(call.headersMs === undefined ? {} : { headers_ms: call.headersMs }),
    ...(call.error === undefined ? {} : { error: call.error }),
  }));
  const last = calls.at(-1);
  const route = capture.route;
  const backend = route ? table.backends[route.profile.backend] : undefined;
  const s = capture.summary;
  return {
    "request.json": json({
      ...id,
      received_at: capture.receivedAt,
      method: capture.method,
      path: capture.path,
      headers: redact.headers(capture.headers),
      body: parseOrText(bodyText(capture.body)),
    }),
    "upstream.json": json(
      last === undefined
        ? { ...id, sent: false, why: "nothing was sent upstream (refused before, or failed before the call)" }
        : { ...id, ...last, ...(calls.length > 1 ? { earlier_calls: calls.slice(0, -1) } : {}) },
    ),
    "route.json": json(
      route === undefined
        ? { ...id, routed: false }
        : {
            ...id,
            routed: true,
            tier: route.tier ?? null,
            profile: route.profile.name,
            model: route.profile.model,
            size: route.profile.size,
            backend: route.profile.backend,
            backend_kind: backend?.kind ?? null,
            flavor: backend?.flavor ?? null,
            reason: route.reason,
            skipped: route.skipped,
            trims: capture.trims,
          },
    ),
    "response.json": json({
      ...id,
      status: s.status,
      outcome: s.outcome,
      duration_ms: s.durationMs,
      ttft_ms: s.ttftMs ?? null,
      stop_reason: s.stopReason ?? null,
      ...(s.cutAtCap === undefined ? {} : { cut_at_cap: s.cutAtCap }),
      stop_sequence: s.stopSequence ?? null,
      usage: { input_tokens: s.inputTokens ?? null, cache_read_input_tokens: s.cachedTokens ?? null, output_tokens: s.outputTokens ?? null },
      notes: s.notes ?? [],
      error: s.error ?? null,
    }),
  };
}

/** A JSON body as its value (readable in the file), anything else as its text. */
function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
