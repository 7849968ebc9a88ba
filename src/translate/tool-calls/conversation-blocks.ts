import type { AnthropicContentBlock, AnthropicMessageParam, AnthropicToolUseBlock } from "../anthropic-types.js";

/** A message's content blocks (none for a plain string). */
export function blocksOf(message: AnthropicMessageParam): AnthropicContentBlock[] {
  return typeof message.content === "string" ? [] : message.content;
}

/** The tool calls a message makes. */
export function toolCallsOf(message: AnthropicMessageParam): AnthropicToolUseBlock[] {
  return blocksOf(message).filter((block): block is AnthropicToolUseBlock => block.type === "tool_use");
}

/** A tool result's text: the string, or its text blocks joined by newlines. */
export function toolResultText(content: string | readonly { type: string; text?: string }[] | undefined): string {
  if (typeof content === "string") return content;
  return (content ?? []).flatMap((block) => (block.type === "text" && typeof block.text === "string" ? [block.text] : [])).join("\n");
}

/** The tools that change a file. */
export const EDITING_TOOLS: ReadonlySet<string> = new Set(["Write", "Edit", "MultiEdit", "NotebookEdit"]);

/** The editing calls of `asked` whose result in `answered` (the message after it) is no error. */
export function succeededEdits(asked: AnthropicMessageParam, answered: AnthropicMessageParam | undefined): AnthropicToolUseBlock[] {
  const results = answered === undefined ? [] : blocksOf(answered);
  const succeeded = (id: string) => results.some((block) => block.type === "tool_result" && block.tool_use_id === id && block.is_error !== true);
  return toolCallsOf(asked).filter((call) => EDITING_TOOLS.has(call.name) && succeeded(call.id));
}

/** The files a message's calls change (their paths, in order). */
export function changedFiles(message: AnthropicMessageParam): string[] {
  return toolCallsOf(message).flatMap((call) => {
    const path = EDITING_TOOLS.has(call.name) ? (call.input as { file_path?: unknown } | null)?.file_path : undefined;
    return typeof path === "string" ? [path] : [];
  });
}
