// @ts-check
/**
 * Response bodies of `APIHandler.generate_response`, `completion_usage_response` and
 * `ToolCallFormatter` (mlx_lm/server.py), with the same key order.
 */
import { dumpsPython } from "./python-json.js";

/** @typedef {import("../mlx-lm-server.js").FakeToolCall} FakeToolCall */
/**
 * @typedef {{ id: string, system_fingerprint: string, object: string, model: string, created: number }} ResponseMeta
 * @typedef {{ prompt_tokens: number, completion_tokens: number, total_tokens: number,
 *   prompt_tokens_details: { cached_tokens: number } }} Usage
 * @typedef {{ text: string, reasoning: string, toolCalls: object[], finishReason: string | null }} Delta
 */

/**
 * A tool call as mlx-lm emits it: arguments re-serialized with `json.dumps(...,
 * ensure_ascii=False)`, a uuid4 id unless the parser supplied one, `index` when streaming.
 * @param {FakeToolCall} call
 * @param {number | undefined} index
 * @param {() => string} generateId
 */
export function formatToolCall(call, index, generateId) {
  const args = typeof call.arguments === "string" ? call.arguments : dumpsPython(call.arguments ?? {}, false);
  /** @type {Record<string, unknown>} */
  const out = { function: { name: call.name, arguments: args }, type: "function", id: call.id ?? generateId() };
  if (index !== undefined) out.index = index;
  return out;
}

/**
 * @param {number} prompt
 * @param {number} completion
 * @param {number} cached
 * @returns {Usage}
 */
export function makeUsage(prompt, completion, cached) {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
  };
}

/**
 * One streamed chunk (`stream: true`): the delta always has `role`, the rest only when non-empty.
 * @param {ResponseMeta} meta
 * @param {Delta} delta
 */
export function streamChunk(meta, delta) {
  return { ...meta, choices: [choice(meta, delta, "delta", false)] };
}

/**
 * The whole non-streamed response; `usage` is always present.
 * @param {ResponseMeta} meta
 * @param {Delta} delta
 * @param {Usage} usage
 * @param {boolean} omitEmptyContent true: leave `content` out when empty, false: `null`
 */
export function completeResponse(meta, delta, usage, omitEmptyContent) {
  return { ...meta, choices: [choice(meta, delta, "message", !omitEmptyContent)], usage };
}

/**
 * The extra chunk sent when `stream_options.include_usage` is set: `"object":
 * "chat.completion"` (not `.chunk`) and no choices.
 * @param {ResponseMeta} meta
 * @param {Usage} usage
 */
export function usageChunk(meta, usage) {
  return { ...meta, object: "chat.completion", choices: [], usage };
}

/**
 * @param {ResponseMeta} meta
 * @param {Delta} delta
 * @param {"delta" | "message"} key
 * @param {boolean} nullContent
 */
function choice(meta, delta, key, nullContent) {
  const base = { index: 0, finish_reason: delta.finishReason };
  if (meta.object === "text_completion") return { ...base, text: delta.text };
  /** @type {Record<string, unknown>} */
  const message = { role: "assistant" };
  if (delta.text) message.content = delta.text;
  else if (nullContent) message.content = null;
  if (delta.reasoning) message.reasoning = delta.reasoning;
  if (delta.toolCalls.length > 0) message.tool_calls = delta.toolCalls;
  return { ...base, [key]: message };
}
