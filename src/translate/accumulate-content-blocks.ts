import type { ContentBlockEvent } from "./assemble-content-blocks.js";
import type { AnthropicOutputBlock } from "./anthropic-types.js";

export interface ContentBlockAccumulator {
  push(event: ContentBlockEvent): void;
  /** The finished blocks, in index order. */
  blocks(): AnthropicOutputBlock[];
}

/**
 * Folds block events into message content the way the Anthropic SDK's MessageStream does: a
 * start appends at its index, deltas extend the block at their index, tool input JSON is parsed
 * when the block stops. Used to build the non-streaming response from the same events the stream
 * sends, so both follow one set of rules.
 */
export function createContentBlockAccumulator(): ContentBlockAccumulator {
  const blocks: AnthropicOutputBlock[] = [];
  const inputJson = new Map<number, string>();

  function push(event: ContentBlockEvent): void {
    switch (event.type) {
      case "content_block_start":
        blocks[event.index] = { ...event.content_block };
        return;
      case "content_block_delta": {
        const block = blocks[event.index];
        const delta = event.delta;
        if (block?.type === "text" && delta.type === "text_delta") block.text += delta.text;
        if (block?.type === "thinking" && delta.type === "thinking_delta") block.thinking += delta.thinking;
        if (block?.type === "thinking" && delta.type === "signature_delta") block.signature = delta.signature;
        if (block?.type === "tool_use" && delta.type === "input_json_delta") {
          inputJson.set(event.index, (inputJson.get(event.index) ?? "") + delta.partial_json);
        }
        return;
      }
      case "content_block_stop": {
        const block = blocks[event.index];
        const json = inputJson.get(event.index);
        // The assembler only emits JSON it serialized itself, so this parse cannot fail.
        if (block?.type === "tool_use" && json !== undefined) block.input = JSON.parse(json) as unknown;
        return;
      }
      default:
        return event satisfies never;
    }
  }

  return { push, blocks: () => [...blocks] };
}
