import { lineChart, type Series } from "./line-chart.js";
import type { RequestSummary } from "./types.js";

/** TTFT and tokens/s per profile, the prefix cache's hit ratio, and prompt characters trimming saved, over the recent requests. */
export function renderCharts(root: HTMLElement, requests: readonly RequestSummary[]): void {
  const perProfile = (value: (r: RequestSummary) => number | undefined): Series[] => {
    const series = new Map<string, Series>();
    for (const r of requests) {
      const v = value(r);
      if (v === undefined) continue;
      let s = series.get(r.profile);
      if (s === undefined) series.set(r.profile, (s = { name: r.profile, points: [] }));
      s.points.push([Date.parse(r.at), v]);
    }
    return [...series.values()];
  };
  let saved = 0;
  const savedPoints: Array<[number, number]> = [];
  for (const r of requests) {
    if (r.charsIn === undefined || r.charsOut === undefined) continue;
    saved += Math.max(0, r.charsIn - r.charsOut);
    savedPoints.push([Date.parse(r.at), saved]);
  }
  root.replaceChildren(
    lineChart(
      "Time to first token",
      perProfile((r) => (r.ttftMs === undefined ? undefined : r.ttftMs / 1000)),
      (v) => `${v.toFixed(1)} s`,
    ),
    lineChart(
      "Decode tokens/s",
      perProfile((r) => r.decodeTps),
      (v) => `${Math.round(v)} tok/s`,
    ),
    lineChart(
      "Prefill tokens/s",
      perProfile((r) => r.prefillTps),
      (v) => `${Math.round(v)} tok/s`,
    ),
    lineChart(
      "Prefix cache hits (cached / prompt tokens)",
      perProfile((r) => (r.promptTokens ? (r.cachedTokens ?? 0) / r.promptTokens : undefined)),
      (v) => `${Math.round(v * 100)}%`,
    ),
    lineChart("Prompt characters saved by trimming (total)", [{ name: "all profiles", points: savedPoints }], (v) => `${Math.round(v)} chars`),
  );
}
