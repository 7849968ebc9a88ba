import type { ToolMention } from "../apply-block-filters.js";
import type { ClaudeCodeClient } from "./recognize-claude-code.js";
import type { ClaudeCodeReport, TrimReport, TrimRuleHit } from "../trim-types.js";

/**
 * What trimming made of a request Claude Code sent, for the report: each part no rule of
 * mallex.yaml placed, in one sentence. Empty on the releases the shipped rules were checked
 * against; a newer release's new reminder, message, built-in or list shows up here (and in
 * `mallex explain`, the log's drift line, `npm run check:claude-code`).
 */
export function describeClaudeCodeTrim(
  client: ClaudeCodeClient,
  rules: readonly TrimRuleHit[],
  newBuiltIns: readonly string[],
  mentions: readonly ToolMention[],
  system?: TrimReport["system"],
): ClaudeCodeReport {
  const unplaced: string[] = [];
  const structural: string[] = [];
  const add = (item: string, isStructural = false) => {
    unplaced.push(item);
    if (isStructural) structural.push(item);
  };
  if (system?.mode === "template" && system.user?.placed === false) {
    add(
      `system: ${system.user.chars} characters of the user's own text (--append-system-prompt, an output style, an MCP server's instructions), which template ${system.template} does not place: add {{user_instructions}} to it`,
      true,
    );
  }
  for (const hit of rules) {
    if (hit.rule === "unknown-reminder") add(`${hit.target}: a reminder no filter or keep rule knows, passed on unwrapped`);
    if (hit.rule === "unknown-system-message") add(`${hit.target}: a system message no filter or keep rule knows, passed on as it is`);
  }
  for (const name of newBuiltIns) add(`tools.${name}: a built-in tool mallex does not know yet, shaped as one`, true);
  for (const mention of mentions) add(`${mention.target}: names ${mention.tool}, a tool the model is not offered`);
  return { ...(client.version === undefined ? {} : { version: client.version }), unplaced, ...(structural.length > 0 ? { structural } : {}) };
}
