import type { RequestSummary, ServerSummary } from "./types.js";

/** Pure formatting of the numbers the page shows: the request log's words, so both read the same. */

export const clock = (iso: string): string => new Date(iso).toLocaleTimeString([], { hour12: false });

export function seconds(ms: number | undefined): string {
  return ms === undefined ? "—" : `${(ms / 1000).toFixed(2)} s`;
}

export function perSecond(rate: number | undefined): string {
  return rate === undefined ? "—" : `${rate} tok/s`;
}

/** `12034 → 8410 (−30%)`, or — for a request that never reached trimming. */
export function chars(r: RequestSummary): string {
  if (r.charsIn === undefined || r.charsOut === undefined) return "—";
  const cut = r.charsIn > 0 ? Math.round((1 - r.charsOut / r.charsIn) * 100) : 0;
  return `${r.charsIn} → ${r.charsOut} (${cut >= 0 ? "−" : "+"}${Math.abs(cut)}%)`;
}

export function promptTokens(r: RequestSummary): string {
  return r.promptTokens === undefined ? "—" : `${r.promptTokens} (${r.cachedTokens ?? 0} cached)`;
}

/**
 * `stop end_turn`; an answer mallex's own cap cut is `stop max_tokens (cut at 4 tokens by mallex's
 * cap)`: the client was told max_tokens too, and the cap that cut it is mallex's, not the client's.
 */
export function outcome(r: RequestSummary): string {
  if (r.error !== undefined) return r.error;
  if (r.cutAtCap !== undefined) return `stop max_tokens (cut at ${r.cutAtCap} tokens by mallex's cap)`;
  return `stop ${r.stopReason ?? (r.outcome === "ok" ? "?" : r.outcome)}`;
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** 12_884_901_888 → "12 GB" (GiB with one decimal at most, as mallex's budget messages count). */
export function gigabytes(bytes: number): string {
  return `${Number((bytes / 1024 ** 3).toFixed(1))} GB`;
}

/** `unloads in 4 min 10 s` while ready and idle unload is on; empty otherwise. */
export function idleCountdown(server: ServerSummary, now: number): string {
  if (server.state !== "ready" || server.idleUnloadMs <= 0) return "";
  const from = Date.parse(server.lastUsed ?? server.since);
  const left = from + server.idleUnloadMs - now;
  return left > 0 ? `unloads in ${duration(left)} if idle` : "unloading when idle";
}
