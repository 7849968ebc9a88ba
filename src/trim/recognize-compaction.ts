import { isGoOnTurn } from "../router/continued-request.js";
import type { AnthropicMessageParam } from "../translate/anthropic-types.js";

/**
 * Where Claude Code's compaction request keeps its instructions: the last message, a user turn, whose
 * last text block asks for a summary — the request is otherwise its agent's own (same system prompt,
 * tools and conversation: 2.1.197 and 2.1.330 reuse them for the prompt cache). The same for
 * `/compact`, its automatic compaction before a turn, and the one it tries after a refused prompt
 * ("prompt is too long") or an answer the context cut.
 */
export interface CompactionRequest {
  /** The index of that block in its message's content (0 when the content is a string). */
  instructionBlock: number;
  /**
   * The index of the user turn holding the instructions: the last message, or, when Claude Code asks
   * to go on with a summary the output limit cut, the turn before that continuation (see
   * isGoOnTurn), which follows it as it was sent.
   */
  instructionMessage: number;
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
 * knows: recognizeClaudeCode) whose last message is a user turn ending in the summary instructions —
 * or whose last turns, after that one, are its summary cut at the output limit and Claude Code's
 * request to go on with it (isGoOnTurn: up to 3 times, 2.1.332's last "Output token limit hit again, so this
 * summary is too long to finish…"), as many times as it asked. Undefined for any other request.
 */
export function recognizeCompaction(request: { readonly messages: readonly AnthropicMessageParam[] }): CompactionRequest | undefined {
  const { messages } = request;
  let at = messages.length - 1;
  // Back over each (cut summary, request to go on) pair.
  while (at >= 2 && messages[at - 1]?.role === "assistant" && isGoOnTurn(messages[at])) at -= 2;
  const turn: AnthropicMessageParam | undefined = messages[at];
  if (turn === undefined || turn.role !== "user") return undefined;
  if (typeof turn.content === "string") return isInstruction(turn.content) ? { instructionBlock: 0, instructionMessage: at } : undefined;
  // Its last text block: a request to go on with the answer before may come first (2.1.332 compacting before it goes on).
  const index = turn.content.findLastIndex((block) => block.type === "text");
  const block = turn.content[index];
  return block?.type === "text" && isInstruction(block.text) ? { instructionBlock: index, instructionMessage: at } : undefined;
}

function isInstruction(text: string): boolean {
  return SUMMARY_TASK.test(text) && SUMMARY_BLOCK.test(text) && NO_TOOLS.test(text);
}
