import type { AnthropicStreamEvent } from "./anthropic-types.js";

/**
 * One Anthropic stream event as SSE text. The `event:` line is mandatory: the SDK dispatches on
 * it, not on `data.type`. The data stays on one line because JSON.stringify escapes `\n` and `\r`,
 * the only SSE line breaks.
 */
export function formatSSE(event: AnthropicStreamEvent): string {
  const name: string = event.type;
  // The name comes from a typed union, but a cast or a bad upstream value must never be able to
  // inject a line into the stream (hono's writeSSE checks the same).
  if (/[\r\n]/.test(name)) {
    throw new Error(`SSE event name must not contain a line break: ${JSON.stringify(name)}`);
  }
  return `event: ${name}\ndata: ${JSON.stringify(event)}\n\n`;
}
