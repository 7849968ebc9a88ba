import type { AnthropicContentBlock, AnthropicMessageParam, AnthropicToolResultBlock } from "../translate/anthropic-types.js";
import { joinTextBlocks } from "../translate/join-text-blocks.js";

/** One block of a conversation as text: who said or did what (`head`), and what (`body`). */
export interface TranscriptEntry {
  head: string;
  body: string;
}

/**
 * A conversation written out as text, block by block, in order: what a summary needs of it, with no
 * tool call left to pair with its result (a model asked to summarise is offered no tools). Thinking
 * is left out (Claude Code's compaction drops it too); an image or a document is named, not carried.
 */
export function renderTranscript(messages: readonly AnthropicMessageParam[]): TranscriptEntry[] {
  const toolNames = new Map<string, string>();
  const entries: TranscriptEntry[] = [];
  for (const message of messages) {
    const blocks: readonly AnthropicContentBlock[] = typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
    for (const block of blocks) {
      const entry = renderBlock(message.role, block, toolNames);
      if (entry !== undefined) entries.push(entry);
    }
  }
  return entries;
}

function renderBlock(role: AnthropicMessageParam["role"], block: AnthropicContentBlock, toolNames: Map<string, string>): TranscriptEntry | undefined {
  switch (block.type) {
    case "text":
      return block.text.trim() === "" ? undefined : { head: `[${role}]`, body: block.text };
    case "tool_use":
      toolNames.set(block.id, block.name);
      return { head: `[${role} called ${block.name}]`, body: JSON.stringify(block.input ?? {}) };
    case "tool_result":
      return {
        head: `[result of ${toolNames.get(block.tool_use_id) ?? "a tool call"}${block.is_error === true ? ", an error" : ""}]`,
        body: resultText(block),
      };
    case "image":
      return { head: `[${role}: an image]`, body: "" };
    case "document":
      return { head: `[${role}: a document${block.title ? ` "${block.title}"` : ""}]`, body: "" };
    default:
      return undefined;
  }
}

function resultText(block: AnthropicToolResultBlock): string {
  const content = block.content;
  if (content === undefined) return "";
  if (typeof content === "string") return content;
  return joinTextBlocks(content.flatMap((part) => (part.type === "text" ? [part.text] : [])));
}
