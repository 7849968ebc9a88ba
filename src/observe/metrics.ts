/**
 * A small Prometheus registry: counters, gauges and histograms with labels, written out in the text
 * exposition format 0.0.4. One registry per server, held by its context (never module-level).
 *
 * @see docs/proxy.md, the metrics mallex exports; Prometheus' text-based exposition format (0.0.4) in
 *   its documentation of exposition formats.
 */

export type MetricType = "counter" | "gauge" | "histogram";
export type Labels = Readonly<Record<string, string>>;

export interface MetricDefinition {
  name: string;
  help: string;
  type: MetricType;
  /** The label names every series of this metric carries, in this order. */
  labels: readonly string[];
  /** Histograms: the upper bounds, ascending (`+Inf` is added). */
  buckets?: readonly number[];
}

interface Series {
  labels: Labels;
  value: number;
  /** Histograms: observations per bucket (not cumulative), then sum and count. */
  counts?: number[];
  sum?: number;
}

export interface MetricsRegistry {
  /** Adds `by` (default 1) to a counter or gauge. */
  inc(name: string, labels: Labels, by?: number): void;
  /** Sets a gauge. */
  set(name: string, labels: Labels, value: number): void;
  /** Records one observation in a histogram. */
  observe(name: string, labels: Labels, value: number): void;
  /** The exposition text of every metric, series in the order they were first seen. */
  render(): string;
}

/** Seconds: from a cached prefix's first token (tens of ms) to a long local generation (minutes). */
export const SECONDS_BUCKETS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** The content-type of {@link MetricsRegistry.render}'s text (UTF-8, which the format always is). */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4";

/** A registry of these metrics; using a name not defined here is a bug and throws. */
export function createMetricsRegistry(definitions: readonly MetricDefinition[]): MetricsRegistry {
  const families = new Map(definitions.map((definition) => [definition.name, { definition, series: new Map<string, Series>() }]));
  const seriesOf = (name: string, type: MetricType, labels: Labels): Series => {
    const family = families.get(name);
    if (!family || (family.definition.type !== type && !(type === "counter" && family.definition.type === "gauge")))
      throw new Error(`metric ${name} is not a defined ${type} (a bug in mallex)`);
    const values = family.definition.labels.map((label) => labels[label] ?? "");
    const key = values.join("\u0000");
    let series = family.series.get(key);
    if (!series) {
      series = { labels: Object.fromEntries(family.definition.labels.map((label, i) => [label, values[i]!])), value: 0 };
      if (type === "histogram") Object.assign(series, { counts: new Array<number>((family.definition.buckets ?? SECONDS_BUCKETS).length + 1).fill(0), sum: 0 });
      family.series.set(key, series);
    }
    return series;
  };
  return {
    inc: (name, labels, by = 1) => void (seriesOf(name, "counter", labels).value += by),
    set: (name, labels, value) => void (seriesOf(name, "gauge", labels).value = value),
    observe(name, labels, value) {
      const series = seriesOf(name, "histogram", labels);
      const buckets = families.get(name)!.definition.buckets ?? SECONDS_BUCKETS;
      const index = buckets.findIndex((bound) => value <= bound);
      series.counts![index === -1 ? buckets.length : index]! += 1;
      series.sum! += value;
      series.value += 1;
    },
    render: () => [...families.values()].map(({ definition, series }) => formatFamily(definition, [...series.values()])).join(""),
  };
}

/** One metric's `# HELP`, `# TYPE` and sample lines (a histogram's cumulative buckets, `_sum`, `_count`). */
function formatFamily(definition: MetricDefinition, series: Series[]): string {
  const lines = [`# HELP ${definition.name} ${escapeHelp(definition.help)}`, `# TYPE ${definition.name} ${definition.type}`];
  for (const s of series) {
    if (definition.type !== "histogram") {
      lines.push(`${definition.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
      continue;
    }
    const bounds = [...(definition.buckets ?? SECONDS_BUCKETS), Infinity];
    let cumulative = 0;
    bounds.forEach((bound, i) => {
      cumulative += s.counts![i]!;
      lines.push(`${definition.name}_bucket${formatLabels({ ...s.labels, le: formatValue(bound) })} ${cumulative}`);
    });
    lines.push(`${definition.name}_sum${formatLabels(s.labels)} ${formatValue(s.sum!)}`, `${definition.name}_count${formatLabels(s.labels)} ${s.value}`);
  }
  return `${lines.join("\n")}\n`;
}

/** `{a="x",b="y"}`, or nothing without labels. */
export function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return pairs.length ? `{${pairs.join(",")}}` : "";
}

/** A label value's escapes: backslash, double quote and line feed (`\\`, `\"`, `\n`). */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** A HELP text's escapes: backslash and line feed. */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

/** Go's float notation as Prometheus reads it: `+Inf`, `-Inf`, `NaN`, else the shortest decimal. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
