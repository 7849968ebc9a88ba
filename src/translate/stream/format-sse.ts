import type { AnthropicStreamEvent, AnthropicStreamEventType } from "../anthropic-types.js";

/** The names the event union allows: they need no check for line breaks. */
const EVENT_NAMES: ReadonlySet<string> = new Set<AnthropicStreamEventType>([
  "message_start",
  "content_block_start",
  "content_block_delta",
  "content_block_stop",
  "message_delta",
  "message_stop",
  "ping",
  "error",
]);

/**
 * One Anthropic stream event as SSE text. The `event:` line is mandatory: the SDK dispatches on
 * it, not on `data.type`. The data stays on one line because JSON.stringify escapes `\n` and `\r`,
 * the only SSE line breaks.
 *
 * The per-token events (a text or thinking delta) are written from a template: only their text
 * goes through JSON.stringify. The template is byte for byte what JSON.stringify writes for the
 * object as the translator builds it (keys `type`, `index`, `delta: {type, text | thinking}`).
 */
export function formatSSE(event: AnthropicStreamEvent): string {
  if (event.type === "content_block_delta" && Number.isSafeInteger(event.index)) {
    const { delta } = event;
    if (delta.type === "text_delta") {
      return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${event.index},"delta":{"type":"text_delta","text":${JSON.stringify(delta.text)}}}\n\n`;
    }
    if (delta.type === "thinking_delta") {
      return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${event.index},"delta":{"type":"thinking_delta","thinking":${JSON.stringify(delta.thinking)}}}\n\n`;
    }
  }
  const name: string = event.type;
  // The name comes from a typed union, but a cast or a bad upstream value must never be able to
  // inject a line into the stream (hono's writeSSE checks the same).
  if (!EVENT_NAMES.has(name) && /[\r\n]/.test(name)) {
    throw new Error(`SSE event name must not contain a line break: ${JSON.stringify(name)}`);
  }
  return `event: ${name}\ndata: ${JSON.stringify(event)}\n\n`;
}
