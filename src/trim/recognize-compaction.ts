import type { AnthropicMessageParam, MessagesRequest } from "../translate/anthropic-types.js";

/**
 * Where Claude Code's compaction request keeps its instructions: the last message, a user turn, whose
 * last text block asks for a summary — the request is otherwise its agent's own (same system prompt,
 * tools and conversation: 2.1.197 and 2.1.330 reuse them for the prompt cache). The same for
 * `/compact`, its automatic compaction before a turn, and the one it tries after a refused prompt
 * ("prompt is too long") or an answer the context cut.
 */
export interface CompactionRequest {
  /** The index of that block in the last message's content (0 when the content is a string). */
  instructionBlock: number;
}

/**
 * Its instructions, as the released binaries word them (`strings` of 2.1.197 and 2.1.330): "Your
 * task is to create a detailed summary of the conversation so far" (whole compaction), "…of the
 * RECENT portion of the conversation" (partial), "…of this conversation"; each asks for a
 * `<summary>` block and forbids tool calls. All three must be there, so a user who pastes one
 * sentence of it is not taken for a compaction.
 */
const SUMMARY_TASK = /\bcreate a detailed summary of (?:the conversation|the RECENT portion|this conversation)/;
const SUMMARY_BLOCK = /<summary>/;
const NO_TOOLS = /\bDo NOT call any tools\b|\bTEXT ONLY\b/;

/**
 * Claude Code's compaction request, known by its structure: a request Claude Code sent (the caller
 * knows: recognizeClaudeCode) whose last message is a user turn ending in the summary instructions.
 * Undefined for any other request.
 */
export function recognizeCompaction(request: Pick<MessagesRequest, "messages">): CompactionRequest | undefined {
  const last: AnthropicMessageParam | undefined = request.messages.at(-1);
  if (last === undefined || last.role !== "user") return undefined;
  if (typeof last.content === "string") return isInstruction(last.content) ? { instructionBlock: 0 } : undefined;
  const index = last.content.findLastIndex((block) => block.type === "text");
  const block = last.content[index];
  return block?.type === "text" && isInstruction(block.text) ? { instructionBlock: index } : undefined;
}

function isInstruction(text: string): boolean {
  return SUMMARY_TASK.test(text) && SUMMARY_BLOCK.test(text) && NO_TOOLS.test(text);
}
