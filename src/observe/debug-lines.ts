import type { RoutingTable } from "../compile/routing-table.js";
import type { RouteDecision } from "../router/select-route.js";
import type { TrimReport } from "../trim/trim-types.js";
import type { ResponseSummary } from "./response-summary.js";
import { formatNumber as number } from "../shared/format-number.js";
import { bodyBytes, type UpstreamBody } from "../backends/upstream-body.js";

/**
 * `MALLEX_DEBUG`, each level including the one before:
 * - 1: each request's route and why, every trim rule and what it removed, the upstream URL and model,
 *   its status and timings, and how the request ended;
 * - 2: also the upstream request body and the upstream answer as it arrived;
 * - 3: also the client's request and every event sent back to it.
 * 0 is off: no line is built.
 */
export type DebugLevel = 0 | 1 | 2 | 3;

/** Most characters of a body or chunk one debug line shows; the saved last request has the whole. */
export const DEBUG_TEXT_MAX = 4000;

/** `text`, cut at `max` characters with how many more there were (`total`: the whole's length, when `text` is its start). */
export function clip(text: string, max = DEBUG_TEXT_MAX, total = text.length): string {
  return total <= max ? text : `${text.slice(0, max)}… (+${total - max} chars)`;
}

/** `route: claude-opus-4-8 → tier medium → profile qwen3-coder-30b (model …, backend local: openai/mlx-lm) · why: … · skipped: …` */
export function describeRoute(model: string, route: RouteDecision, table: RoutingTable): string {
  const backend = table.backends[route.profile.backend];
  const where = `model ${route.profile.model}, ${route.profile.size} size, backend ${route.profile.backend}${backend ? `: ${backend.kind}/${backend.flavor}` : ""}`;
  const parts = [`route: ${model} → ${route.tier ? `tier ${route.tier} → ` : ""}profile ${route.profile.name} (${where})`, `why: ${route.reason}`];
  if (route.skipped.length > 0) parts.push(`skipped: ${route.skipped.join("; ")}`);
  return parts.join(" · ");
}

/** One line for the trimming as a whole, then one per rule that fired, with where and how much. */
export function describeTrim(report: TrimReport): string[] {
  const system =
    report.system.mode === "template" ? `template ${report.system.template} [${report.system.sections.join(", ")}]` : `passthrough (${report.system.reason})`;
  const tools = `${report.tools.mode}, ${report.tools.offered.length} offered${report.tools.offered.length > 0 ? ` [${report.tools.offered.join(", ")}]` : ""}${report.tools.client.length > 0 ? `, client [${report.tools.client.join(", ")}]` : ""}`;
  const budget = report.budgetTokens === undefined ? "" : ` · budget ${number(report.budgetTokens)} tok`;
  const head = `trim: ${number(report.before.chars)} → ${number(report.after.chars)} chars, ~${number(report.before.tokens)} → ~${number(report.after.tokens)} tok${budget} · system: ${system} · tools: ${tools} · ${report.rules.length} rule hits`;
  return [
    head,
    ...report.rules.map((hit) => `trim rule ${hit.rule} at ${hit.target}: ${hit.charsRemoved >= 0 ? "−" : "+"}${number(Math.abs(hit.charsRemoved))} chars`),
  ];
}

/** `upstream → POST url · model m · streamed · N bytes`: the model and stream flag as the body has them. */
export function describeUpstreamRequest(url: string, body: UpstreamBody): string {
  let fields: { model?: unknown; stream?: unknown } = {};
  try {
    fields = (typeof body === "string" ? JSON.parse(body) : body.value) as typeof fields;
  } catch {
    // described without them
  }
  // A server mallex did not start (--backend-url) is sent no model: it answers with the one it has loaded.
  const model = typeof fields.model === "string" ? ` · model ${fields.model}` : " · no model (the server's loaded one)";
  return `upstream → POST ${url}${model} · ${fields.stream === true ? "streamed" : "one piece"} · ${number(bodyBytes(body))} bytes`;
}

/** `response: 200 ok after 356 ms · ttft … · stop end_turn · in 3,207 tok (0 cached) · out 6 tok` */
export function describeResponse(summary: ResponseSummary): string {
  const parts = [`response: ${summary.status} ${summary.outcome} after ${number(summary.durationMs)} ms`];
  if (summary.ttftMs !== undefined) parts.push(`ttft ${number(summary.ttftMs)} ms`);
  if (summary.stopReason !== undefined)
    parts.push(`stop ${summary.stopReason}${summary.stopSequence !== undefined ? ` ${JSON.stringify(summary.stopSequence)}` : ""}`);
  if (summary.inputTokens !== undefined) parts.push(`in ${number(summary.inputTokens)} tok (${number(summary.cachedTokens ?? 0)} cached)`);
  if (summary.outputTokens !== undefined) parts.push(`out ${number(summary.outputTokens)} tok`);
  if (summary.notes !== undefined) parts.push(...summary.notes);
  if (summary.error !== undefined) parts.push(`error: ${summary.error}`);
  return parts.join(" · ");
}
