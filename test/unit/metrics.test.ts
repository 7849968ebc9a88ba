import { describe, expect, it } from "vitest";
import { createMetricsRegistry, escapeHelp, escapeLabelValue, formatLabels, formatValue } from "../../src/observe/metrics.js";
import { formatRouteHeader } from "../../src/router/route-header.js";

describe("Prometheus text exposition", () => {
  it("escapes label values (backslash, quote, line feed) and HELP text (backslash, line feed)", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(formatLabels({ tier: "medium", profile: 'q"1' })).toBe('{tier="medium",profile="q\\"1"}');
    expect(formatLabels({})).toBe("");
    expect(escapeHelp('one\\two\n"three"')).toBe('one\\\\two\\n"three"');
    expect([Infinity, -Infinity, NaN, 0.25, 3].map(formatValue)).toEqual(["+Inf", "-Inf", "NaN", "0.25", "3"]);
  });

  it("writes counters with HELP and TYPE, one line per label set, in the order first seen", () => {
    const registry = createMetricsRegistry([{ name: "x_total", help: "Things.", type: "counter", labels: ["tier", "status"] }]);
    registry.inc("x_total", { tier: "medium", status: "200" });
    registry.inc("x_total", { tier: "low", status: "200" }, 2);
    registry.inc("x_total", { tier: "medium", status: "200" });
    expect(registry.render()).toBe(
      '# HELP x_total Things.\n# TYPE x_total counter\nx_total{tier="medium",status="200"} 2\nx_total{tier="low",status="200"} 2\n',
    );
  });

  it("writes histograms as cumulative buckets with +Inf, _sum and _count; a value on a bound falls in that bucket", () => {
    const registry = createMetricsRegistry([{ name: "d_seconds", help: "D.", type: "histogram", labels: ["tier"], buckets: [0.1, 1] }]);
    for (const value of [0.05, 0.1, 0.5, 7]) registry.observe("d_seconds", { tier: "high" }, value);
    expect(registry.render().split("\n")).toEqual([
      "# HELP d_seconds D.",
      "# TYPE d_seconds histogram",
      'd_seconds_bucket{tier="high",le="0.1"} 2',
      'd_seconds_bucket{tier="high",le="1"} 3',
      'd_seconds_bucket{tier="high",le="+Inf"} 4',
      'd_seconds_sum{tier="high"} 7.65',
      'd_seconds_count{tier="high"} 4',
      "",
    ]);
  });

  it("sets gauges, and refuses a metric it does not define", () => {
    const registry = createMetricsRegistry([{ name: "g", help: "G.", type: "gauge", labels: ["state"] }]);
    registry.set("g", { state: "ready" }, 1);
    registry.set("g", { state: "ready" }, 0);
    expect(registry.render()).toContain('g{state="ready"} 0\n');
    expect(() => registry.inc("nope", {})).toThrow(/not a defined counter/);
    expect(() => registry.observe("g", { state: "x" }, 1)).toThrow(/not a defined histogram/);
  });
});

describe("x-mallex-route", () => {
  it("writes tokens bare and anything else as an ASCII-only JSON string, never CR or LF", () => {
    const header = formatRouteHeader({ tier: "medium", profile: "qwen3-coder-30b", backend: "local", reason: "default → medium" });
    expect(header).toBe('tier=medium; profile=qwen3-coder-30b; backend=local; reason="default \\u2192 medium"');
    const odd = formatRouteHeader({ tier: "high", profile: 'my "pro"\r\nfile', backend: "anthropic", reason: "x;y" });
    expect(odd).not.toMatch(/[\r\n]/);
    expect(odd).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(/profile=("(?:[^"\\]|\\.)*")/.exec(odd)![1]!)).toBe('my "pro"\r\nfile');
    expect(() => new Headers({ "x-mallex-route": odd })).not.toThrow();
  });
});
