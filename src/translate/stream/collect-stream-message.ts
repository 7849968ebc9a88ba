import { createContentBlockAccumulator } from "../accumulate-content-blocks.js";
import type { AnthropicErrorObject, AnthropicMessage, AnthropicStreamEvent } from "../anthropic-types.js";

export type CollectedMessage = { ok: true; message: AnthropicMessage } | { ok: false; error: AnthropicErrorObject };

/**
 * The events of one streamed answer folded into the Message they describe, the way the SDK's
 * MessageStream builds `finalMessage()`: for a client that asked for no stream while mallex streams
 * from the backend anyway (to stop the generation at a stop sequence). An `error` event, or a stream
 * that ends before `message_stop`, is a failure; nothing here throws on the events' account.
 */
export function collectStreamMessage(events: Iterable<AnthropicStreamEvent>): CollectedMessage {
  const blocks = createContentBlockAccumulator();
  let message: AnthropicMessage | undefined;
  for (const event of events) {
    switch (event.type) {
      case "message_start":
        message = { ...event.message, content: [], usage: { ...event.message.usage } };
        break;
      case "content_block_start":
      case "content_block_delta":
      case "content_block_stop":
        blocks.push(event);
        break;
      case "message_delta":
        if (message === undefined) break;
        message.stop_reason = event.delta.stop_reason;
        message.stop_sequence = event.delta.stop_sequence;
        for (const [key, value] of Object.entries(event.usage)) {
          if (typeof value === "number") message.usage[key as keyof AnthropicMessage["usage"]] = value;
        }
        break;
      case "message_stop":
        if (message !== undefined && message.stop_reason !== null) return { ok: true, message: { ...message, content: blocks.blocks() } };
        break;
      case "error":
        return { ok: false, error: event.error };
      case "ping":
        break;
      default:
        event satisfies never;
    }
  }
  return { ok: false, error: { type: "api_error", message: "The answer ended before it was complete (no message_stop)." } };
}
