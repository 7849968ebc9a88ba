import type { AnthropicStreamEvent } from "./anthropic-types.js";
import type { ResolvedToolCall } from "./tool-calls/resolve-tool-call.js";

/** The block events an assembler emits; message-level events are the caller's. */
export type ContentBlockEvent = Extract<AnthropicStreamEvent, { type: "content_block_start" | "content_block_delta" | "content_block_stop" }>;

/** A response's content blocks as events: indices run 0, 1, 2…; at most one block is open and blocks never interleave. */
export interface ContentBlockWriter {
  /** Text or thinking: into the open block when it is of that kind, else into a new one. */
  append(kind: "text" | "thinking", text: string): void;
  /** A tool call as a whole tool_use block (start, one `input_json_delta`, stop), or the note that replaces it as a text block. */
  writeCall(call: ResolvedToolCall): void;
  close(): void;
  /** Whether a tool_use block was emitted. */
  readonly emittedToolUse: boolean;
  /** Whether a text block was opened (a note for a call does not count). */
  readonly emittedText: boolean;
}

export function createContentBlockWriter(emit: (event: ContentBlockEvent) => void): ContentBlockWriter {
  let openBlock: { kind: "text" | "thinking"; index: number } | undefined;
  let nextIndex = 0;
  let emittedToolUse = false;
  let emittedText = false;

  function close(): void {
    if (openBlock === undefined) return;
    // Claude Code accepts an empty signature locally (llama.cpp sends "" too); the SDK expects
    // the signature_delta right before the thinking block stops.
    if (openBlock.kind === "thinking") {
      emit({ type: "content_block_delta", index: openBlock.index, delta: { type: "signature_delta", signature: "" } });
    }
    emit({ type: "content_block_stop", index: openBlock.index });
    openBlock = undefined;
  }

  function append(kind: "text" | "thinking", text: string): void {
    if (openBlock?.kind !== kind) {
      // Newlines at the start of a block are template residue ("</think>\n\n"), not content;
      // dropping them keeps whitespace-only blocks from appearing between reasoning and a call.
      text = text.replace(/^[\r\n]+/, "");
      if (text === "") return;
      close();
      openBlock = { kind, index: nextIndex++ };
      if (kind === "text") emittedText = true;
      emit({
        type: "content_block_start",
        index: openBlock.index,
        content_block: kind === "text" ? { type: "text", text: "" } : { type: "thinking", thinking: "", signature: "" },
      });
    }
    emit({
      type: "content_block_delta",
      index: openBlock.index,
      delta: kind === "text" ? { type: "text_delta", text } : { type: "thinking_delta", thinking: text },
    });
  }

  function writeCall(call: ResolvedToolCall): void {
    close();
    const index = nextIndex++;
    if (call.type === "invalid") {
      emit({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
      emit({ type: "content_block_delta", index, delta: { type: "text_delta", text: call.note } });
    } else {
      emittedToolUse = true;
      emit({
        type: "content_block_start",
        index,
        content_block: { type: "tool_use", id: call.id, name: call.name, input: {} },
      });
      emit({
        type: "content_block_delta",
        index,
        delta: { type: "input_json_delta", partial_json: JSON.stringify(call.input) },
      });
    }
    emit({ type: "content_block_stop", index });
  }

  return {
    append,
    writeCall,
    close,
    get emittedToolUse() {
      return emittedToolUse;
    },
    get emittedText() {
      return emittedText;
    },
  };
}
