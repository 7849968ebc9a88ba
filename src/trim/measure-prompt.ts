import { estimateTokens } from "../router/describe-request.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import type { PromptSize } from "./trim-types.js";

/**
 * The prompt a request carries: its system prompt, messages and tools as JSON (the same measure
 * the router's describeRequest uses), in characters and estimated tokens. Fields the backend never
 * sees (metadata, context_management…) do not count.
 */
export function measurePrompt(request: MessagesRequest): PromptSize {
  const chars = JSON.stringify(request.system ?? "").length + JSON.stringify(request.messages).length + JSON.stringify(request.tools ?? []).length;
  return { chars, tokens: estimateTokens(chars) };
}
