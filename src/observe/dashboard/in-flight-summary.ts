import type { RequestTrace } from "../request-record.js";
import type { PrefillProgress } from "../read-prefill-progress.js";

/** A request under way, as the dashboard and `mallex status` show it while Claude Code waits on it. */
export interface InFlightSummary {
  id: string;
  /** ISO time it arrived. */
  since: string;
  elapsedMs: number;
  tier?: string;
  profile?: string;
  /**
   * routing: not routed yet; waiting: for its turn in the queue or its model server to load;
   * prefill: the server reads the prompt; answering: tokens are coming.
   */
  phase: "routing" | "waiting" | "prefill" | "answering";
  /** The server's own count while it prefills (mlx-lm.server's and mallex's engine's progress comments). */
  prefill?: PrefillProgress;
  /** The prefill's time left at the pace it has gone so far (absent: no progress reported yet). */
  prefillLeftMs?: number;
}

/** Pure: where a request stands now, from its trace and the last progress its server reported. */
export function summarizeInFlight(input: { id: string; trace: RequestTrace; prefill?: PrefillProgress; now: number; date: Date }): InFlightSummary {
  const { trace, prefill, now } = input;
  const metrics = trace.metrics;
  // No local metrics: the request went to the Anthropic API, which answers as it goes.
  const phase =
    trace.route === undefined
      ? "routing"
      : metrics === undefined
        ? "answering"
        : metrics.sentAt === undefined
          ? "waiting"
          : metrics.modelTokenAt === undefined
            ? "prefill"
            : "answering";
  const summary: InFlightSummary = {
    id: input.id,
    since: new Date(input.date.getTime() - (now - trace.started)).toISOString(),
    elapsedMs: Math.max(0, now - trace.started),
    ...(trace.route?.tier !== undefined ? { tier: trace.route.tier } : {}),
    ...(trace.route !== undefined ? { profile: trace.route.profile.name } : {}),
    phase,
  };
  if (phase === "prefill" && prefill !== undefined) {
    summary.prefill = prefill;
    const spent = now - metrics!.sentAt!;
    if (prefill.done > 0 && spent > 0) summary.prefillLeftMs = Math.round(((prefill.total - prefill.done) * spent) / prefill.done);
  }
  return summary;
}
