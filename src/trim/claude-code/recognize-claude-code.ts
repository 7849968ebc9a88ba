import type { MessagesRequest } from "../../translate/anthropic-types.js";
import type { ToolMention } from "../apply-block-filters.js";
import type { ClaudeCodeReport, TrimReport, TrimRuleHit } from "../trim-types.js";

/** A request Claude Code sent, as far as its shape tells: the version when it says one. */
export interface ClaudeCodeClient {
  version?: string;
}

const USER_AGENT = /^claude-cli\/(\d+\.\d+\.\d+)/;
const BILLING_VERSION = /^x-anthropic-billing-header:[^\n]*\bcc_version=(\d+\.\d+\.\d+)/;

/**
 * Whether Claude Code sent this request, known by its shape rather than by any release's wording:
 * its `claude-cli/<version>` user agent, the billing block it puts first in the system prompt
 * (`x-anthropic-billing-header: cc_version=…`, unless CLAUDE_CODE_ATTRIBUTION_HEADER=0), or the
 * JSON `metadata.user_id` it sends ({device_id, session_id, …}). A captured body read without its
 * headers (`mallex explain FILE`) is still recognised by the last two.
 */
export function recognizeClaudeCode(request: MessagesRequest, userAgent?: string): ClaudeCodeClient | undefined {
  const fromAgent = userAgent === undefined ? undefined : USER_AGENT.exec(userAgent)?.[1];
  const fromBilling = billingVersion(request.system);
  const version = fromAgent ?? fromBilling;
  if (version !== undefined) return { version };
  if (fromAgent === undefined && userAgent?.startsWith("claude-cli/")) return {};
  return hasClaudeCodeUserId(request.metadata) ? {} : undefined;
}

function billingVersion(system: MessagesRequest["system"]): string | undefined {
  if (system === undefined || typeof system === "string") return undefined;
  for (const block of system) {
    const version = BILLING_VERSION.exec(block.text)?.[1];
    if (version !== undefined) return version;
  }
  return undefined;
}

function hasClaudeCodeUserId(metadata: MessagesRequest["metadata"]): boolean {
  const userId = (metadata as { user_id?: unknown } | undefined)?.user_id;
  if (typeof userId !== "string" || !userId.startsWith("{")) return false;
  try {
    const parsed = JSON.parse(userId) as unknown;
    return typeof parsed === "object" && parsed !== null && "device_id" in parsed && "session_id" in parsed;
  } catch {
    return false;
  }
}

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
