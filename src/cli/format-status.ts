import { formatDriftLine } from "../observe/claude-code-drift.js";
import type { DashboardMessage } from "../observe/dashboard/dashboard-feed.js";
import type { CapacitySummary } from "../observe/dashboard/capacity-summary.js";
import type { ContextSummary } from "../observe/dashboard/context-summary.js";
import type { InFlightSummary } from "../observe/dashboard/in-flight-summary.js";
import type { MemorySummary, ServerMemory } from "../observe/dashboard/memory-summary.js";
import type { PoolSummary } from "../observe/dashboard/pool-summary.js";
import type { ServerSummary } from "../observe/dashboard/server-summary.js";
import type { RequestSummary } from "../observe/dashboard/summarize-request.js";
import { formatGb } from "../supervisor/memory/server-size.js";
import { dashboardLink } from "./dashboard-link.js";

type Snapshot = Extract<DashboardMessage, { type: "snapshot" }>;

/**
 * Pure: `mallex status`'s summary, the dashboard's in lines: the link that opens the dashboard (with
 * the token status asked with, which opens it too: `mallex run`'s is in its record only), the model
 * servers and their memory budget, the pools' servers, the queues' capacity, each profile's context,
 * a Claude Code drift, then the last requests.
 */
export function formatStatus(
  url: string,
  snapshot: Snapshot,
  options: { requests: number; now: number; pid?: number; token?: string; config?: string },
): string[] {
  const lines = [
    `mallex at ${url}${options.pid !== undefined ? ` (pid ${options.pid})` : ""}`,
    `  dashboard: ${dashboardLink(url, options.token)}`,
    ...(options.config !== undefined ? [`  ${options.config}`] : []),
    "",
    "Model servers:",
  ];
  // With --backend-url (or only servers that run already) no request starts one: nothing to promise.
  if (snapshot.servers.length === 0)
    lines.push(
      snapshot.supervises === false
        ? "  none: this mallex starts no model server (its backends are servers that run already)"
        : "  none started yet (one starts on the first request that needs it)",
    );
  for (const server of snapshot.servers) lines.push(...formatServer(server, options.now, snapshot.memory));
  if (snapshot.memory !== undefined) lines.push(formatMemory(snapshot.memory));
  // A mallex from before pools sends none.
  const pools = snapshot.pools ?? [];
  if (pools.length > 0) lines.push("", "Pools:", ...pools.flatMap(formatPool));
  // A mallex from before capacities were read sends none.
  const capacity = snapshot.capacity ?? [];
  if (capacity.length > 0) lines.push("", "Capacity (requests at once, and waiting past that):", ...capacity.map(formatCapacity));
  // Nor from before contexts were shown.
  const contexts = snapshot.contexts ?? [];
  if (contexts.length > 0) lines.push("", "Context (tokens one request holds, and the prompt budget trimming aims for):", ...contexts.map(formatContext));
  // The drift alarm's latest warning, as the log and the dashboard's banner say it.
  if (snapshot.claudeCodeDrift !== undefined) lines.push("", "Claude Code:", `  ${formatDriftLine(snapshot.claudeCodeDrift)}`);
  // What Claude Code is waiting on now: a long prefill on a small machine says how far it is (a mallex from before sends none).
  const underWay = snapshot.inFlight ?? [];
  if (underWay.length > 0) lines.push("", "Under way:", ...underWay.map((request) => `  ${formatInFlight(request)}`));
  const recent = snapshot.requests.slice(-options.requests);
  lines.push("", recent.length === snapshot.requests.length ? "Requests:" : `Last ${recent.length} of ${snapshot.requests.length} requests:`);
  if (recent.length === 0) lines.push("  none yet");
  for (const request of recent) lines.push(`  ${formatRequest(request)}`);
  return lines;
}

/** `mallex status -f`: each message of /ui/events in lines; a profile's context is printed again only when it changed (a server said what it holds). */
export function createMessageFormatter(url: string, count: number, now: () => number, pid?: number, token?: string): (message: DashboardMessage) => string[] {
  const contextShown = new Map<string, string>();
  const changedContexts = (contexts: ContextSummary[]) =>
    contexts
      .map((c) => [c.profile, formatContext(c)] as const)
      .flatMap(([profile, line]) => {
        if (contextShown.get(profile) === line) return [];
        contextShown.set(profile, line);
        return [line];
      });
  return (message) => {
    if (message.type === "snapshot") {
      changedContexts(message.contexts ?? []);
      return formatStatus(url, message, { requests: count, now: now(), ...(pid !== undefined ? { pid } : {}), ...(token !== undefined ? { token } : {}) });
    }
    if (message.type === "request") return [formatRequest(message.request)];
    // The prefill's progress as its server reports it; a request's end is its own line above.
    if (message.type === "inFlight")
      return message.inFlight.filter((request) => request.prefill !== undefined).map((request) => `  ${formatInFlight(request)}`);
    // Pool servers' and queues' load changes with every request: the dashboard and /metrics show them, the terminal would scroll.
    if (message.type === "pools") return [];
    // An eval's progress is printed by the eval itself, and shown on the dashboard's Eval tab.
    if (message.type === "eval") return [];
    if (message.type === "capacity") {
      const changed = changedContexts(message.contexts);
      return changed.length === 0 ? [] : ["Context now:", ...changed];
    }
    return [...message.servers.flatMap((s) => formatServer(s, now(), message.memory)), ...(message.memory ? [formatMemory(message.memory)] : [])];
  };
}

/** `req_… · medium → gguf-qwen2.5-coder-1.5b · prefill 1,024 of 2,000 prompt tokens (51%, ~20 s left) · 34 s`. */
export function formatInFlight(request: InFlightSummary): string {
  const route = request.profile === undefined ? "" : ` · ${request.tier !== undefined ? `${request.tier} → ` : ""}${request.profile}`;
  const count = (n: number) => n.toLocaleString("en-US");
  const phase =
    request.phase === "prefill" && request.prefill !== undefined
      ? `prefill ${count(request.prefill.done)} of ${count(request.prefill.total)} prompt tokens (${Math.floor((request.prefill.done * 100) / request.prefill.total)}%${
          request.prefillLeftMs === undefined ? "" : `, ~${seconds(request.prefillLeftMs)} left`
        })`
      : PHASE_WORDS[request.phase];
  return `${request.id}${route} · ${phase} · ${seconds(request.elapsedMs)}`;
}

const PHASE_WORDS: Record<InFlightSummary["phase"], string> = {
  routing: "being routed",
  waiting: "waiting for its turn or its model server",
  prefill: "prefill (the server reports no progress)",
  answering: "answering",
};

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 90 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/** memory: the budget's sizes, for the server's own (how much it takes, and how that is known). */
export function formatServer(s: ServerSummary, now: number, memory?: MemorySummary): string[] {
  const facts = [
    s.state,
    s.port === undefined ? "" : `port ${s.port}`,
    s.pid === undefined ? "" : `pid ${s.pid}`,
    `for ${minutes(now - Date.parse(s.since))}`,
    `${s.restarts} restart${s.restarts === 1 ? "" : "s"}`,
  ];
  if (s.state === "ready" && s.idleUnloadMs > 0) {
    const left = Date.parse(s.lastUsed ?? s.since) + s.idleUnloadMs - now;
    facts.push(left > 0 ? `unloads in ${minutes(left)} if idle` : "unloading when idle");
  }
  const size = memory?.servers.find((m) => m.key === s.key);
  if (size !== undefined) facts.push(formatSize(size));
  const lines = [`  ${s.key} (${s.model}): ${facts.filter((f) => f !== "").join(" · ")}`];
  if (s.progress !== undefined) lines.push(`    ${s.progress}${s.percent === undefined ? "" : ` (${Math.round(s.percent)}%)`}`);
  if (s.lastError !== undefined) lines.push(`    last error: ${s.lastError}`);
  return lines;
}

/** `  memory: 12 GB held of the budget of 48 GB (25%)`. */
export function formatMemory(memory: MemorySummary): string {
  const share = memory.budgetBytes > 0 ? ` (${Math.round((memory.heldBytes / memory.budgetBytes) * 100)}%)` : "";
  return `  memory: ${formatGb(memory.heldBytes)} held of the budget of ${formatGb(memory.budgetBytes)}${share}`;
}

/** `12 GB (weights on disk)`; a server nothing tells the size of yet: counted as 0 until measured. */
function formatSize(size: ServerMemory): string {
  return size.bytes === undefined ? "size unknown until measured" : `${formatGb(size.bytes)} (${size.source})`;
}

/** One line per server of a pool, as the dashboard's Pools panel: `  mlx http://a:8080/v1: closed · 2 requests (1 in flight, 1 queued) · 1 session`. */
export function formatPool(pool: PoolSummary): string[] {
  return pool.servers.map((s) => {
    const state = s.state === "open" && s.coolDownLeftS !== undefined ? `open, cooling down ${minutes(s.coolDownLeftS * 1000)} more` : s.state;
    return `  ${pool.backend} ${s.url}: ${state} · ${plural(s.requests, "request")} (${s.inFlight} in flight, ${s.waiting} queued) · ${plural(s.sessions, "session")}`;
  });
}

/** `  mlx: 32 at once (default for mlx-lm), 128 may wait (4 × in flight, at least 16) · 3 in flight, 0 queued`. */
export function formatCapacity(c: CapacitySummary): string {
  const where = c.server === undefined ? c.backend : `${c.backend} ${c.server}`;
  return `  ${where}: ${c.maxInFlight} at once (${c.source}), ${c.maxWaiting} may wait (${c.waitingSource}) · ${c.inFlight} in flight, ${c.waiting} queued`;
}

/** `  tiny (ext): 4096 tokens (llama-server GET /props; context_window 32768 lowered to it) · prompt budget 3072`. */
export function formatContext(c: ContextSummary): string {
  const budget = c.inputBudget === undefined ? "no prompt budget" : `prompt budget ${c.inputBudget}`;
  // Only an alias reaches it: said, so it is not taken for a tier's (an older mallex sends no usedBy).
  const unused = c.usedBy !== undefined && c.usedBy.length === 0 ? ` · no tier uses it (only a model named like ${(c.aliases ?? []).join(", ")})` : "";
  return `  ${c.profile} (${c.backend}${c.served === undefined ? "" : `, served by ${c.served}`}): ${describeWindow(c)} · ${budget}${unused}`;
}

/** The window and where it comes from, in the words of the log line that lowered it. */
function describeWindow(c: ContextSummary): string {
  if (c.contextWindow === undefined) return "context unknown (no context_window declared, and its server has not said yet)";
  const why = [c.source];
  if (c.declared !== undefined) why.push(`context_window ${c.declared} lowered to it`);
  if (c.serverHolds !== undefined) why.push(`its server holds ${c.serverHolds}`);
  return `${c.contextWindow} tokens (${why.join("; ")})`;
}

/** One request in the request log's words: `12:00:01 claude-sonnet-4-6 → medium/coder (local) · … · stop end_turn`. */
export function formatRequest(r: RequestSummary): string {
  const parts = [`${r.at.slice(11, 19)} ${r.model} → ${r.tier}/${r.profile}${r.served === undefined ? "" : ` on ${r.served}`} (${r.backend}, ${r.reason})`];
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
  // An answer mallex's own cap cut: max_tokens, as the client was told, and whose cap it was (the dashboard's words).
  parts.push(
    r.error !== undefined
      ? `error: ${r.error}`
      : r.cutAtCap !== undefined
        ? `stop max_tokens (cut at ${r.cutAtCap} tokens by mallex's cap)`
        : `stop ${r.stopReason ?? "?"}`,
  );
  return parts.join(" · ");
}

function minutes(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
