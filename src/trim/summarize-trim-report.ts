import { userPartChars } from "./system-prompt/describe-user-parts.js";
import type { TrimReport, UserPart } from "./trim-types.js";
import { formatNumber as number, formatPercentChange, formatRemoved } from "../shared/format-number.js";

/**
 * One log line saying what trimming did: sizes before and after, then each rule once (how often it
 * fired and the characters it removed), the tool results the budget shortened, by path, and the
 * client tools (MCP servers', other clients' own) the model was offered.
 *
 * @example
 * "trim 76,308 → 3,866 chars (−95%): billing-header −74 · tool-allowlist ×20 −62,913 · budget shortened messages.4.content.0 −2,017 · client tools: mcp__github__* ×26 · the user's text kept whole: 185 chars (CLAUDE.md 185 in the system prompt)"
 */
export function summarizeTrimReport(report: TrimReport): string {
  const before = report.before.chars;
  const after = report.after.chars;
  return `trim ${number(before)} → ${number(after)} chars (${formatPercentChange(before, after)}): ${describeTrimRules(report)}`;
}

/**
 * Each rule that fired once, with how often and the characters it removed ("no rule fired" when none
 * did), then the client tools kept, if any (see describeClientTools), and the user's own text that
 * went on whole, by part (see describeUserParts).
 */
export function describeTrimRules(report: TrimReport): string {
  const client = report.tools.client.length === 0 ? "" : ` · client tools: ${describeClientTools(report.tools.client)}`;
  const user = userTextKept(report);
  const lost = report.user.filter((part) => part.fate === "not placed" || part.fate === "not offered");
  const kept =
    user > 0
      ? ` · the user's text kept whole: ${number(user)} chars (${describeParts(report.user.filter((part) => part.chars > 0 && !lost.includes(part)))})`
      : "";
  return `${describeRules(report)}${client}${kept}${lost.length > 0 ? ` · the user's text NOT kept: ${describeParts(lost)}` : ""}`;
}

/**
 * Characters of the user's own text a trimmed request keeps whole: what they wrote into the system
 * prompt or CLAUDE.md moved there, the agents and skills named for them, what `user_text` filters
 * kept (hooks' output; CLAUDE.md where it stays in the conversation), the MCP servers' instructions
 * and the names of their tools behind ToolSearch.
 */
export function userTextKept(report: TrimReport): number {
  return userPartChars(report.user);
}

/** Most user parts the log line names before "+N more". */
const USER_PARTS_SHOWN = 4;

function describeParts(parts: readonly UserPart[]): string {
  const named = parts.map(
    (part) =>
      `${part.part}${part.chars > 0 ? ` ${number(part.chars)}` : ""} ${part.fate === "conversation" ? "in the conversation" : part.fate === "system prompt" ? "in the system prompt" : part.fate}`,
  );
  const rest = named.length - USER_PARTS_SHOWN;
  return rest > 0 ? `${named.slice(0, USER_PARTS_SHOWN).join(", ")} +${rest} more` : named.join(", ");
}

/** Most entries describeClientTools lists before "+N more": the log line stays one short line. */
const CLIENT_TOOLS_SHOWN = 4;

/**
 * The client tools the model was offered, short: an MCP server's tools as one `mcp__<server>__* ×N`
 * entry when it has several, at most CLIENT_TOOLS_SHOWN entries, then how many more.
 *
 * @example
 * describeClientTools(["mcp__github__a", "mcp__github__b", "mcp__tickets__lookup_ticket", "search_docs"])
 * // "mcp__github__* ×2, mcp__tickets__lookup_ticket, search_docs"
 */
export function describeClientTools(names: readonly string[]): string {
  const groups = new Map<string, string[]>();
  for (const name of names) {
    const server = /^mcp__(.+?)__./.exec(name)?.[1];
    const key = server === undefined ? name : `mcp__${server}__*`;
    groups.set(key, [...(groups.get(key) ?? []), name]);
  }
  const entries = [...groups].map(([key, members]) => (members.length > 1 ? `${key} ×${members.length}` : (members[0] ?? key)));
  const rest = entries.length - CLIENT_TOOLS_SHOWN;
  return rest > 0 ? `${entries.slice(0, CLIENT_TOOLS_SHOWN).join(", ")} +${rest} more` : entries.join(", ");
}

function describeRules(report: TrimReport): string {
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
    const removed = formatRemoved(chars);
    if (rule === "budget") return `budget shortened ${targets.join(", ")} ${removed}`;
    return `${rule}${count > 1 ? ` ×${count}` : ""} ${removed}`;
  });
  return parts.join(" · ");
}
