/**
 * What the proxy's own GET /metrics said at the end of the run: the counters a Prometheus scrape of
 * this mallex reads, summed over routes. The eval starts its proxy afresh, so they cover this run
 * exactly; the report carries them beside its per-task sums, a cross-check a reader can make.
 */
export interface ProxyMetricsTotals {
  requests: number;
  promptTokens: number;
  cachedTokens: number;
  outputTokens: number;
  /** The time-to-first-token histogram's count and sum. */
  ttftCount: number;
  ttftSecondsSum: number;
  /** mallex_tool_calls_total's repaired and rejected outcomes. */
  repairedToolCalls: number;
  rejectedToolCalls: number;
}

const WANTED: Readonly<Record<string, keyof ProxyMetricsTotals>> = {
  mallex_requests_total: "requests",
  mallex_prompt_tokens_total: "promptTokens",
  mallex_cached_tokens_total: "cachedTokens",
  mallex_output_tokens_total: "outputTokens",
  mallex_time_to_first_token_seconds_count: "ttftCount",
  mallex_time_to_first_token_seconds_sum: "ttftSecondsSum",
};

/** Pure: the totals from an exposition text (samples of the wanted names, summed over their labels). */
export function sumProxyMetrics(exposition: string): ProxyMetricsTotals {
  const totals: ProxyMetricsTotals = {
    requests: 0,
    promptTokens: 0,
    cachedTokens: 0,
    outputTokens: 0,
    ttftCount: 0,
    ttftSecondsSum: 0,
    repairedToolCalls: 0,
    rejectedToolCalls: 0,
  };
  for (const line of exposition.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const key = match[1] === "mallex_tool_calls_total" ? CALL_OUTCOMES[/(?:^|,)outcome="(\w+)"/.exec(match[2] ?? "")?.[1] ?? ""] : WANTED[match[1]!];
    if (key !== undefined) totals[key] += Number(match[3]);
  }
  return totals;
}

const CALL_OUTCOMES: Readonly<Record<string, keyof ProxyMetricsTotals>> = { repaired: "repairedToolCalls", rejected: "rejectedToolCalls" };

export async function readProxyMetrics(baseUrl: string, token: string): Promise<ProxyMetricsTotals | undefined> {
  try {
    const response = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
    return response.ok ? sumProxyMetrics(await response.text()) : undefined;
  } catch {
    return undefined;
  }
}

/** Pure: two proxies' totals together (a run with several setups reads each proxy before it closes); undefined stays unknown only when both are. */
export function addProxyMetrics(a: ProxyMetricsTotals | undefined, b: ProxyMetricsTotals | undefined): ProxyMetricsTotals | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return Object.fromEntries(Object.entries(a).map(([key, value]) => [key, value + b[key as keyof ProxyMetricsTotals]])) as unknown as ProxyMetricsTotals;
}
