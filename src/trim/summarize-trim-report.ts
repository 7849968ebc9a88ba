import type { TrimReport } from "./trim-types.js";

const number = (n: number) => n.toLocaleString("en-US");

/**
 * One log line saying what trimming did: sizes before and after, then each rule once (how often it
 * fired and the characters it removed), and the tool results the budget shortened, by path.
 *
 * @example
 * "trim 76,308 → 3,866 chars (−95%): billing-header −74 · tool-allowlist ×20 −62,913 · budget shortened messages.4.content.0 −2,017"
 */
export function summarizeTrimReport(report: TrimReport): string {
  const before = report.before.chars;
  const after = report.after.chars;
  const percent = before === 0 ? 0 : Math.round((1 - after / before) * 100);
  return `trim ${number(before)} → ${number(after)} chars (−${percent}%): ${describeTrimRules(report)}`;
}

/** Each rule that fired once, with how often and the characters it removed; "no rule fired" when none did. */
export function describeTrimRules(report: TrimReport): string {
  const byRule = new Map<string, { count: number; chars: number; targets: string[] }>();
  for (const hit of report.rules) {
    const entry = byRule.get(hit.rule) ?? { count: 0, chars: 0, targets: [] };
    entry.count += 1;
    entry.chars += hit.charsRemoved;
    entry.targets.push(hit.target);
    byRule.set(hit.rule, entry);
  }
  if (byRule.size === 0) return "no rule fired";
  const parts = [...byRule].map(([rule, { count, chars, targets }]) => {
    const removed = chars >= 0 ? `−${number(chars)}` : `+${number(-chars)}`;
    if (rule === "budget") return `budget shortened ${targets.join(", ")} ${removed}`;
    return `${rule}${count > 1 ? ` ×${count}` : ""} ${removed}`;
  });
  return parts.join(" · ");
}
