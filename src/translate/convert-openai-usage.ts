import type { AnthropicUsage } from "./anthropic-types.js";
import type { OpenAIUsage } from "./openai-types.js";

/**
 * OpenAI usage → Anthropic usage. OpenAI's `prompt_tokens` counts the whole prompt, cached part
 * included; Anthropic splits it, and its total input is input + cache_read + cache_creation.
 * Local backends never write a cache on request, so cache_creation is always 0 (LiteLLM and
 * llama.cpp's own Anthropic endpoint map it the same way).
 *
 * @see docs/proxy.md, "Translation and tool calls"; the `usage` objects of Anthropic's Messages and OpenAI's Chat Completions references
 */
export function convertOpenAIUsage(usage: OpenAIUsage | null | undefined): AnthropicUsage {
  const prompt = count(usage?.prompt_tokens);
  const cached = Math.min(count(usage?.prompt_tokens_details?.cached_tokens), prompt);
  return {
    input_tokens: prompt - cached,
    output_tokens: count(usage?.completion_tokens),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

/** Servers send null, floats or nothing; Anthropic clients expect non-negative integers. */
function count(value: number | null | undefined): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}
