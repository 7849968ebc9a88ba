import type { DashboardMessage } from "../server/dashboard/dashboard-feed.js";
import type { ServerSummary } from "../server/dashboard/server-summary.js";
import type { RequestSummary } from "../server/dashboard/summarize-request.js";

type Snapshot = Extract<DashboardMessage, { type: "snapshot" }>;

/** Pure: `mallex status`'s summary, the dashboard's in lines: the model servers, then the last requests. */
export function formatStatus(url: string, snapshot: Snapshot, options: { requests: number; now: number }): string[] {
  const lines = [`mallex at ${url}`, "", "Model servers:"];
  if (snapshot.servers.length === 0) lines.push("  none started yet (one starts on the first request that needs it)");
  for (const server of snapshot.servers) lines.push(...formatServer(server, options.now));
  const recent = snapshot.requests.slice(-options.requests);
  lines.push("", recent.length === snapshot.requests.length ? "Requests:" : `Last ${recent.length} of ${snapshot.requests.length} requests:`);
  if (recent.length === 0) lines.push("  none yet");
  for (const request of recent) lines.push(`  ${formatRequest(request)}`);
  return lines;
}

export function formatServer(s: ServerSummary, now: number): string[] {
  const facts = [s.state, s.port === undefined ? "" : `port ${s.port}`, s.pid === undefined ? "" : `pid ${s.pid}`, `for ${minutes(now - Date.parse(s.since))}`, `${s.restarts} restart${s.restarts === 1 ? "" : "s"}`];
  if (s.state === "ready" && s.idleUnloadMs > 0) {
    const left = Date.parse(s.lastUsed ?? s.since) + s.idleUnloadMs - now;
    facts.push(left > 0 ? `unloads in ${minutes(left)} if idle` : "unloading when idle");
  }
  const lines = [`  ${s.key} (${s.model}): ${facts.filter((f) => f !== "").join(" · ")}`];
  if (s.progress !== undefined) lines.push(`    ${s.progress}${s.percent === undefined ? "" : ` (${Math.round(s.percent)}%)`}`);
  if (s.lastError !== undefined) lines.push(`    last error: ${s.lastError}`);
  return lines;
}

/** One request in the request log's words: `12:00:01 claude-sonnet-4-6 → medium/coder (local) · … · stop end_turn`. */
export function formatRequest(r: RequestSummary): string {
  const parts = [`${r.at.slice(11, 19)} ${r.model} → ${r.tier}/${r.profile} (${r.backend}, ${r.reason})`];
  if (r.charsIn !== undefined && r.charsOut !== undefined) {
    const cut = r.charsIn > 0 ? Math.round((1 - r.charsOut / r.charsIn) * 100) : 0;
    parts.push(`${r.charsIn} → ${r.charsOut} chars (${cut >= 0 ? "−" : "+"}${Math.abs(cut)}%)`);
  }
  if (r.rules !== undefined) parts.push(`rules: ${r.rules}`);
  if (r.promptTokens !== undefined) parts.push(`prompt ${r.promptTokens} tok (${r.cachedTokens ?? 0} cached)`);
  if (r.queuedMs !== undefined) parts.push(`queued ${(r.queuedMs / 1000).toFixed(2)} s`);
  if (r.loadingMs !== undefined) parts.push(`waited ${(r.loadingMs / 1000).toFixed(2)} s for the model server`);
  if (r.ttftMs !== undefined) parts.push(`ttft ${(r.ttftMs / 1000).toFixed(2)} s`);
  if (r.prefillTps !== undefined) parts.push(`prefill ${r.prefillTps} tok/s`);
  if (r.decodeTps !== undefined) parts.push(`decode ${r.decodeTps} tok/s`);
  parts.push(r.error === undefined ? `stop ${r.stopReason ?? "?"}` : `error: ${r.error}`);
  return parts.join(" · ");
}

function minutes(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
