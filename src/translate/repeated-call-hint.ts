import type { AnthropicMessageParam } from "./anthropic-types.js";

/**
 * A note for a model that made the very same tool calls in its last two turns: it is going round in
 * a loop (the real Qwen2.5-Coder-1.5B called one Grep ten times over, its result unchanged), and
 * each turn costs the user a prefill and a decode. Said once at the end of the prompt, where the
 * model reads it last; undefined when the last two turns differ.
 */
export function repeatedCallHint(messages: readonly AnthropicMessageParam[]): string | undefined {
  const turns = messages.filter((message) => message.role === "assistant").slice(-2);
  if (turns.length < 2) return undefined;
  const [before, last] = turns.map(callsOf);
  if (last === undefined || last === "" || last !== before) return undefined;
  return "Your last two turns made the same tool call and got the same result. Do not call it again: use that result to answer the user, or call a different tool.";
}

/** The turn's tool calls, by name and input, in order ("" for none). */
function callsOf(message: AnthropicMessageParam): string {
  if (typeof message.content === "string") return "";
  const calls = message.content.flatMap((block) => (block.type === "tool_use" ? [[block.name, block.input]] : []));
  return calls.length === 0 ? "" : JSON.stringify(calls);
}
