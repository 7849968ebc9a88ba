import type { MessagesRequest } from "./anthropic-types.js";
import { upstreamThinking } from "./decide-thinking.js";
import type { TranslateOptions } from "./translate-options.js";

/**
 * What became of the request's Anthropic-only settings on the way to a local model, for its log line:
 * `thinking adaptive→on, context_management dropped`. `thinking` becomes
 * `chat_template_kwargs.enable_thinking` (see upstreamThinking; `→off by profile` when the profile's
 * `enable_thinking` overrode the request); `context_management` (Claude Code's clearing of old
 * thinking) has nothing to act on in a local server and is dropped. Undefined when the request has
 * neither. The Anthropic API gets both as they are.
 */
export function describeRequestFields(
  request: Pick<MessagesRequest, "thinking" | "context_management">,
  options: Pick<TranslateOptions, "enableThinking">,
): string | undefined {
  const parts: string[] = [];
  if (request.thinking !== undefined) {
    const on = upstreamThinking(request.thinking, options.enableThinking);
    const byProfile = options.enableThinking !== undefined && options.enableThinking !== upstreamThinking(request.thinking, undefined);
    parts.push(`thinking ${request.thinking.type}→${on ? "on" : "off"}${byProfile ? " by profile" : ""}`);
  }
  if (request.context_management !== undefined) parts.push("context_management dropped");
  return parts.length > 0 ? parts.join(", ") : undefined;
}
