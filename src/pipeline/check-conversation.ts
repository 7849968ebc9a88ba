import type { AnthropicMessageParam, MessagesRequest } from "../translate/anthropic-types.js";

/**
 * The Messages API's rules about a conversation that a JSON schema cannot say: what the real API
 * answers 400 to once the body has the right shape. Messages are the API's own wording (as clients
 * and users have reported them), so a client written against the API reads the same sentence.
 * Pure; the schema (check-messages-body.ts) has already checked field types.
 *
 * Deliberately accepted, as the API does:
 * - a first message from the assistant (the API has taken one since late 2024; only some
 *   third-party hosts still refuse it) and Claude Code's `role: "system"` messages anywhere;
 * - `max_tokens: 0` (the API's prompt-cache pre-warm; negative values fail the schema);
 * - an empty final assistant message (the API's own exception to the non-empty rule), and an empty
 *   `role: "system"` message that carries `output_config` (Claude Code's per-turn effort);
 * - whitespace-only text (a local model's reply may be one, and Claude Code sends it back);
 * - `budget_tokens` ≥ `max_tokens` under the interleaved-thinking beta, where the budget spans the
 *   whole assistant turn (Claude Code always sends that beta).
 *
 * @see schema/anthropic-messages.schema.json, the request's shape; the Messages API in Anthropic's API
 *   reference.
 */
export interface ConversationOptions {
  /** count_tokens: no `max_tokens`, so nothing is checked against it. */
  forCounting?: boolean;
  /** The request's `anthropic-beta` values. */
  betas?: readonly string[];
}

/** The first rule the request breaks, as the API words it; undefined when it breaks none. */
export function checkConversation(request: MessagesRequest, options: ConversationOptions = {}): string | undefined {
  return checkMessages(request.messages) ?? checkToolChoice(request) ?? (options.forCounting ? undefined : checkThinkingBudget(request, options.betas ?? []));
}

function checkMessages(messages: readonly AnthropicMessageParam[]): string | undefined {
  if (messages.length === 0) return "messages: at least one message is required";
  for (const [i, message] of messages.entries()) {
    const finalAssistant = i === messages.length - 1 && message.role === "assistant";
    // Claude Code's per-turn settings (a new /effort) come as a system message with no content.
    const settingsOnly = message.role === "system" && message.output_config !== undefined;
    if (message.content.length === 0 && !finalAssistant && !settingsOnly) {
      return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
    }
    if (typeof message.content !== "string" && message.content.some((block) => block.type === "text" && block.text === "")) {
      return "messages: text content blocks must be non-empty";
    }
  }
  return checkToolResults(messages);
}

/**
 * Every `tool_result` answers a `tool_use` of the assistant turn right before its own turn.
 * Consecutive messages of one role are one turn (the API merges them); Claude Code's system
 * messages sit between turns without breaking them.
 */
function checkToolResults(messages: readonly AnthropicMessageParam[]): string | undefined {
  let previousAssistantIds = new Set<string>();
  let currentAssistantIds = new Set<string>();
  let lastRole: "user" | "assistant" | undefined;
  for (const [i, message] of messages.entries()) {
    if (message.role === "system") continue;
    if (message.role !== lastRole) {
      if (message.role === "user") previousAssistantIds = lastRole === "assistant" ? currentAssistantIds : new Set();
      else currentAssistantIds = new Set();
      lastRole = message.role;
    }
    if (typeof message.content === "string") continue;
    for (const [j, block] of message.content.entries()) {
      if (message.role === "assistant" && block.type === "tool_use") currentAssistantIds.add(block.id);
      if (message.role === "user" && block.type === "tool_result" && !previousAssistantIds.has(block.tool_use_id)) {
        return (
          `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${block.tool_use_id}. ` +
          "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
        );
      }
    }
  }
  return undefined;
}

/**
 * `tool_choice: {type: "none"}` without tools says nothing contradictory, so only the others fail.
 * A forced tool the request does not offer could never be called: a server that enforces the choice
 * would be given no tool to enforce, one that cannot would be asked in vain. The API refuses it too;
 * its sentence for that is not on record, so this one is mallex's.
 */
function checkToolChoice(request: MessagesRequest): string | undefined {
  const choice = request.tool_choice;
  if (!choice || choice.type === "none") return undefined;
  const tools = request.tools ?? [];
  if (tools.length === 0) return "tool_choice: tool_choice may only be specified while providing tools.";
  if (choice.type === "tool" && !tools.some((tool) => tool.name === choice.name)) {
    return `tool_choice.name: the tool "${choice.name}" that tool_choice forces is not one of the request's tools.`;
  }
  return undefined;
}

function checkThinkingBudget(request: MessagesRequest, betas: readonly string[]): string | undefined {
  const thinking = request.thinking;
  if (thinking?.type !== "enabled" || thinking.budget_tokens === undefined) return undefined;
  if (thinking.budget_tokens < request.max_tokens || betas.some((beta) => beta.startsWith("interleaved-thinking-"))) return undefined;
  return (
    "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at " +
    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
  );
}

/** The `anthropic-beta` header as a list (a comma list; the SDK may send the header more than once). */
export function parseBetas(header: string | null): string[] {
  return (header ?? "")
    .split(",")
    .map((beta) => beta.trim())
    .filter(Boolean);
}
