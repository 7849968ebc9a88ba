import type { AnthropicMessageParam } from "../anthropic-types.js";

/**
 * The tools a model called in its last two turns with the very same calls: it is going round in a
 * loop (the real Qwen2.5-Coder-1.5B called one Grep ten times over, its result unchanged), and each
 * turn costs the user a prefill and a decode. Undefined when the last two turns differ.
 */
export function repeatedCalls(messages: readonly AnthropicMessageParam[]): string[] | undefined {
  const turns = messages.filter((message) => message.role === "assistant").slice(-2);
  if (turns.length < 2) return undefined;
  const [before, last] = turns.map(callsOf) as [Array<[string, unknown]>, Array<[string, unknown]>];
  if (last.length === 0 || JSON.stringify(last) !== JSON.stringify(before)) return undefined;
  return [...new Set(last.map(([name]) => name))];
}

/** What the model is told at the end of the prompt when it repeats itself (see repeatedCalls). */
export function repeatedCallHint(messages: readonly AnthropicMessageParam[]): string | undefined {
  return repeatedCalls(messages) === undefined
    ? undefined
    : "Your last two turns made the same tool call and got the same result. Do not call it again: use that result to answer the user, or call a different tool.";
}

/** The turn's tool calls, by name and input, in order. */
function callsOf(message: AnthropicMessageParam): Array<[string, unknown]> {
  if (typeof message.content === "string") return [];
  return message.content.flatMap((block) => (block.type === "tool_use" ? [[block.name, block.input] as [string, unknown]] : []));
}
