import type { MessagesRequest } from "../../translate/anthropic-types.js";

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
