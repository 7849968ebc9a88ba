// Small helpers shared by the benchmarks: percentiles over repeated timings.
export function percentile(samples, p) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function summarize(samples) {
  return { n: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), min: Math.min(...samples) };
}

export const ms = (value) => `${value.toFixed(1)} ms`;
