import { formatNumber } from "../shared/format-number.js";
import type { EvalGroup, EvalReport, TaskResult } from "./eval-report.js";

const HEADERS = [
  "task",
  "result",
  "turns",
  "tools (failed/repaired/rejected)",
  "prompt tok (cached)",
  "out tok",
  "ttft",
  "prefill",
  "decode",
  "tools+client",
  "wall",
  "to Claude",
] as const;
const GROUP_HEADERS = [
  "variant",
  "passed",
  "spread",
  "wall",
  "turns",
  "tools (failed/repaired/rejected)",
  "prompt tok (cached)",
  "out tok",
  "mean ttft",
  "prefill",
  "decode",
  "tools+client",
  "to Claude",
] as const;

/**
 * Pure: the report as a table for the terminal, then why each failed task failed, then — when
 * variants were compared or runs repeated — one row per variant, then the overall line. `colour`
 * adds green/red to the verdicts (only on a terminal: piped, escape codes are noise).
 */
export function formatEvalReport(report: EvalReport, options: { colour: boolean }): string {
  const totals = report.totals;
  const out = table(
    HEADERS,
    report.tasks.map((t) => row(t, options.colour)),
    2,
  );
  const failed = report.tasks.filter((t) => !t.passed);
  if (failed.length > 0) {
    out.push("", "why:");
    for (const t of failed) out.push(`  ${taskLabel(t)}: ${t.why ?? "?"}`);
  }
  if (report.groups !== undefined) out.push("", ...table(GROUP_HEADERS, report.groups.map(groupRow), 1));
  const rate = percent(report.pass_rate);
  const partial = report.interrupted ? ` — interrupted: ${report.total} of ${report.planned} tasks ran` : "";
  out.push(
    "",
    `passed ${report.passed} of ${report.total} (${options.colour ? paint(rate, report.passed === report.total && report.total > 0) : rate})${partial} · ${(report.wallMs / 1000).toFixed(1)} s · ${formatNumber(totals.requests)} requests, ${formatNumber(totals.promptTokens)} prompt tok (${formatNumber(totals.cachedTokens)} cached), ${formatNumber(totals.outputTokens)} out tok${totals.meanTtftMs === undefined ? "" : `, mean ttft ${seconds(totals.meanTtftMs)}`} · ${formatNumber(totals.toolCalls)} tool call${totals.toolCalls === 1 ? "" : "s"} (${totals.failedToolCalls} failed, ${totals.repairedToolCalls} repaired, ${totals.rejectedToolCalls} rejected) · ${totals.escalations} to Claude`,
    `suite ${report.suite} · backend ${report.backend} · Claude Code ${report.claudeCode}`,
  );
  return out.join("\n");
}

/** Columns left-aligned up to `leftColumns`, numbers right-aligned after. */
function table(headers: readonly string[], rows: readonly string[][], leftColumns: number): string[] {
  const widths = headers.map((header, i) => Math.max(visibleLength(header), ...rows.map((r) => visibleLength(r[i]!))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i < leftColumns ? padEnd(cell, widths[i]!) : padStart(cell, widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "─".repeat(w))), ...rows.map(line)];
}

const taskLabel = (t: TaskResult) => `${t.task}${t.variant !== undefined ? ` (${t.variant})` : ""}${t.run !== undefined ? ` #${t.run}` : ""}`;

function row(t: TaskResult, colour: boolean): string[] {
  const m = t.metrics;
  const verdict = t.passed ? "pass" : "FAIL";
  return [
    taskLabel(t),
    colour ? paint(verdict, t.passed) : verdict,
    String(t.turns),
    `${t.toolCalls} (${t.failedToolCalls}/${t.repairedToolCalls}/${t.rejectedToolCalls})`,
    `${formatNumber(m.promptTokens)} (${formatNumber(m.cachedTokens)})`,
    formatNumber(m.outputTokens),
    m.meanTtftMs === undefined ? "–" : seconds(m.meanTtftMs),
    seconds(m.prefillMs),
    seconds(m.decodeMs),
    seconds(t.toolsAndClientMs),
    seconds(t.wallMs),
    String(m.escalations),
  ];
}

/** A variant's row: its pass rate, the spread over its runs, and where its time went. */
function groupRow(g: EvalGroup): string[] {
  const t = g.totals;
  return [
    g.variant,
    `${g.passed} of ${g.total} (${percent(g.pass_rate)})`,
    g.runs.length > 1 ? `${percent(g.min)}–${percent(g.max)} over ${g.runs.length} runs` : "–",
    seconds(t.wallMs),
    String(t.turns),
    `${t.toolCalls} (${t.failedToolCalls}/${t.repairedToolCalls}/${t.rejectedToolCalls})`,
    `${formatNumber(t.promptTokens)} (${formatNumber(t.cachedTokens)})`,
    formatNumber(t.outputTokens),
    t.meanTtftMs === undefined ? "–" : seconds(t.meanTtftMs),
    seconds(t.prefillMs),
    seconds(t.decodeMs),
    seconds(t.toolsAndClientMs),
    String(t.escalations),
  ];
}

const percent = (rate: number) => `${Math.round(rate * 100)}%`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const paint = (text: string, good: boolean) => `\u001b[${good ? 32 : 31}m${text}\u001b[39m`;
// eslint-disable-next-line no-control-regex
const visibleLength = (text: string) => text.replace(/\u001b\[\d+m/g, "").length;
const padEnd = (text: string, width: number) => text + " ".repeat(Math.max(0, width - visibleLength(text)));
const padStart = (text: string, width: number) => " ".repeat(Math.max(0, width - visibleLength(text))) + text;
