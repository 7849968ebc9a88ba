import { formatNumber } from "../format-number.js";
import type { EvalReport, TaskResult } from "./eval-report.js";

const HEADERS = ["task", "result", "turns", "tools (failed/rejected)", "prompt tok (cached)", "out tok", "ttft", "prefill", "decode", "tools+client", "wall", "to Claude"] as const;

/**
 * Pure: the report as a table for the terminal, then why each failed task failed, then the overall
 * line. `colour` adds green/red to the verdicts (only on a terminal: piped, escape codes are noise).
 */
export function formatEvalReport(report: EvalReport, options: { colour: boolean }): string {
  const rows = report.tasks.map((t) => row(t, options.colour));
  const totals = report.totals;
  const widths = HEADERS.map((header, i) => Math.max(visibleLength(header), ...rows.map((r) => visibleLength(r[i]!))));
  const line = (cells: readonly string[]) => cells.map((cell, i) => (i < 2 ? padEnd(cell, widths[i]!) : padStart(cell, widths[i]!))).join("  ").trimEnd();
  const out = [line(HEADERS), line(widths.map((w) => "─".repeat(w))), ...rows.map(line)];
  const failed = report.tasks.filter((t) => !t.passed);
  if (failed.length > 0) {
    out.push("", "why:");
    for (const t of failed) out.push(`  ${t.task}${t.profile !== undefined ? ` (${t.profile})` : ""}${t.run !== undefined ? ` #${t.run}` : ""}: ${t.why ?? "?"}`);
  }
  if (report.groups !== undefined) {
    out.push("");
    for (const g of report.groups) {
      const spread = g.runs.length > 1 ? ` over ${g.runs.length} runs: ${percent(g.min)}–${percent(g.max)}` : "";
      out.push(`${g.profile ?? "routing"}: passed ${g.passed} of ${g.total} (${percent(g.pass_rate)})${spread}`);
    }
  }
  const rate = `${Math.round(report.pass_rate * 100)}%`;
  const partial = report.interrupted ? ` — interrupted: ${report.total} of ${report.planned} tasks ran` : "";
  out.push(
    "",
    `passed ${report.passed} of ${report.total} (${options.colour ? paint(rate, report.passed === report.total && report.total > 0) : rate})${partial} · ${(report.wallMs / 1000).toFixed(1)} s · ${formatNumber(totals.requests)} requests, ${formatNumber(totals.promptTokens)} prompt tok (${formatNumber(totals.cachedTokens)} cached), ${formatNumber(totals.outputTokens)} out tok${totals.meanTtftMs === undefined ? "" : `, mean ttft ${seconds(totals.meanTtftMs)}`} · ${formatNumber(totals.toolCalls)} tool call${totals.toolCalls === 1 ? "" : "s"} (${totals.failedToolCalls} failed, ${totals.rejectedToolCalls} rejected) · ${totals.escalations} to Claude`,
    `suite ${report.suite} · backend ${report.backend} · Claude Code ${report.claudeCode}`,
  );
  return out.join("\n");
}

function row(t: TaskResult, colour: boolean): string[] {
  const m = t.metrics;
  const verdict = t.passed ? "pass" : "FAIL";
  return [
    `${t.task}${t.profile !== undefined ? ` (${t.profile})` : ""}${t.run !== undefined ? ` #${t.run}` : ""}`,
    colour ? paint(verdict, t.passed) : verdict,
    String(t.turns),
    `${t.toolCalls} (${t.failedToolCalls}/${t.rejectedToolCalls})`,
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

const percent = (rate: number) => `${Math.round(rate * 100)}%`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const paint = (text: string, good: boolean) => `\u001b[${good ? 32 : 31}m${text}\u001b[39m`;
// eslint-disable-next-line no-control-regex
const visibleLength = (text: string) => text.replace(/\u001b\[\d+m/g, "").length;
const padEnd = (text: string, width: number) => text + " ".repeat(Math.max(0, width - visibleLength(text)));
const padStart = (text: string, width: number) => " ".repeat(Math.max(0, width - visibleLength(text))) + text;
