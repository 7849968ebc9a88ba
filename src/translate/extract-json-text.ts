import type { AnthropicOutputBlock, AnthropicStreamEvent } from "./anthropic-types.js";

/**
 * For answers that must be JSON (`output_config.format`): servers that cannot constrain them are asked
 * in words, and some that take `response_format` do not enforce it.
 *
 * The JSON object in a model's answer: the whole text, a fenced block, or the span from the first
 * `{` to the last `}` (small models wrap JSON in prose or a code fence). Undefined when none parses.
 */
export function extractJsonObject(text: string): string | undefined {
  const trimmed = text.trim();
  const fenced = /```[\w-]*\s*([\s\S]*?)```/.exec(trimmed)?.[1]?.trim();
  const start = trimmed.indexOf("{");
  const end = trimmed.lastIndexOf("}");
  const span = start >= 0 && end > start ? trimmed.slice(start, end + 1) : undefined;
  return [trimmed, fenced, span].find((candidate) => candidate !== undefined && isJsonObject(candidate));
}

/** Non-streamed answers: each text block becomes its JSON object, or stays as it is when it has none. */
export function extractJsonContent(content: readonly AnthropicOutputBlock[]): AnthropicOutputBlock[] {
  return content.map((block) => (block.type === "text" ? { type: "text", text: extractJsonObject(block.text) ?? block.text } : block));
}

/**
 * Streamed answers: holds each text block's deltas and sends the block's JSON object as one delta
 * when the block stops (the text as it was when it has none). Other events pass at once; on an
 * `error` event the held text goes out first, as it came, so nothing is lost. `push` gives the
 * events to send for each one that comes, `flush` what is still held at the end.
 */
export function createJsonTextExtractor(): { push(event: AnthropicStreamEvent): AnthropicStreamEvent[]; flush(): AnthropicStreamEvent[] } {
  const held = new Map<number, string>();
  const release = (index: number, text: string, out: AnthropicStreamEvent[]) => {
    held.delete(index);
    if (text !== "") out.push({ type: "content_block_delta", index, delta: { type: "text_delta", text } });
  };
  return {
    push(event) {
      const out: AnthropicStreamEvent[] = [];
      if (event.type === "content_block_start" && event.content_block.type === "text") {
        held.set(event.index, "");
      } else if (event.type === "content_block_delta" && event.delta.type === "text_delta" && held.has(event.index)) {
        held.set(event.index, held.get(event.index) + event.delta.text);
        return out;
      } else if (event.type === "content_block_stop" && held.has(event.index)) {
        const text = held.get(event.index) ?? "";
        release(event.index, extractJsonObject(text) ?? text, out);
      } else if (event.type === "error") {
        for (const [index, text] of held) release(index, text, out);
      }
      out.push(event);
      return out;
    },
    flush() {
      const out: AnthropicStreamEvent[] = [];
      for (const [index, text] of held) release(index, text, out);
      return out;
    },
  };
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
