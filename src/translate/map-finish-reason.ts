import type { AnthropicStopReason } from "./anthropic-types.js";
import { CONTEXT_FULL } from "./context-full.js";
import type { OpenAIFinishReason } from "./openai-types.js";

/**
 * OpenAI `finish_reason` → Anthropic `stop_reason`.
 *
 * `tool_use` wins whenever a tool_use block was actually emitted, even if the backend said `stop`
 * (mlx only says `tool_calls` when generation ended with `stop`), and never without one: when every
 * call was invalid and became a text note, `tool_use` would make Claude Code wait for calls that
 * are not there. `stop_sequence` never comes from here: mlx reports a stop sequence as plain `stop`,
 * so mallex matches them itself (createStopSequenceMatcher). `content_filter` → `end_turn` as
 * upstream LiteLLM does. A `length` that the context caused was settled to CONTEXT_FULL before
 * (settleLength): the API's `model_context_window_exceeded`.
 *
 * @see the response's `stop_reason` in Anthropic's Messages API reference.
 * @see "stop_reason" in Anthropic's Messages reference and "finish_reason" in OpenAI's Chat Completions reference
 */
export function mapFinishReason(finishReason: string | null | undefined, emittedToolUse: boolean): AnthropicStopReason {
  if (emittedToolUse) return "tool_use";
  if (finishReason === CONTEXT_FULL) return "model_context_window_exceeded";
  const known = finishReason as OpenAIFinishReason | null | undefined;
  switch (known) {
    case "length":
      return "max_tokens";
    case "stop":
    case "tool_calls":
    case "function_call":
    case "content_filter":
    case null:
    case undefined:
      return "end_turn";
    default:
      // Not a known OpenAI value (the type check proves the cases above are exhaustive); an unknown
      // reason from a non-standard server still ended the turn.
      known satisfies never;
      return "end_turn";
  }
}
