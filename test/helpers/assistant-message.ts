import type { AnthropicMessage } from "../../src/translate/anthropic-types.js";

/** An assistant message as mallex answers one, with `content` and its stop reason. */
export const assistantMessage = (content: AnthropicMessage["content"], stop: AnthropicMessage["stop_reason"] = "end_turn"): AnthropicMessage => ({
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "m",
  content,
  stop_reason: stop,
  stop_sequence: null,
  usage: { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
});
