import type { AnthropicMessage, AnthropicStreamEvent } from "../anthropic-types.js";

/**
 * A finished message as the stream events that would have built it, for answers mallex has to see
 * whole before sending (a checked forced tool call). Each block is one start, one delta, one stop,
 * which is what the SDK's MessageStream accumulates back into the same message.
 */
export function messageToStreamEvents(message: AnthropicMessage): AnthropicStreamEvent[] {
  const events: AnthropicStreamEvent[] = [
    { type: "message_start", message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...message.usage, output_tokens: 0 } } },
  ];
  message.content.forEach((block, index) => {
    switch (block.type) {
      case "text":
        events.push({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
        events.push({ type: "content_block_delta", index, delta: { type: "text_delta", text: block.text } });
        break;
      case "thinking":
        events.push({ type: "content_block_start", index, content_block: { type: "thinking", thinking: "", signature: "" } });
        events.push({ type: "content_block_delta", index, delta: { type: "thinking_delta", thinking: block.thinking } });
        events.push({ type: "content_block_delta", index, delta: { type: "signature_delta", signature: block.signature } });
        break;
      case "tool_use":
        events.push({ type: "content_block_start", index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } });
        events.push({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) } });
        break;
      default:
        block satisfies never;
    }
    events.push({ type: "content_block_stop", index });
  });
  events.push({
    type: "message_delta",
    delta: { stop_reason: message.stop_reason ?? "end_turn", stop_sequence: message.stop_sequence },
    usage: { output_tokens: message.usage.output_tokens },
  });
  events.push({ type: "message_stop" });
  return events;
}
