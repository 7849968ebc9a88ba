import type { AnthropicCustomTool, AnthropicTextBlock, AnthropicToolChoice, MessagesRequest } from "./anthropic-types.js";
import { convertAnthropicMessages, normalizeParts, wrapSystemReminder } from "./convert-anthropic-messages.js";
import { upstreamThinking } from "./decide-thinking.js";
import { joinTextBlocks } from "./join-text-blocks.js";
import type { OpenAIChatMessage, OpenAIChatRequest, OpenAIContentPart, OpenAIFunctionTool } from "./openai-types.js";
import { repeatedCallHint } from "./tool-calls/repeated-call-hint.js";
import { customTools } from "./tool-calls/resolve-tool-call.js";
import type { ServerFeatures, TranslateOptions } from "./translate-options.js";

/** Claude Code's per-conversation attribution block: it sits first and would defeat the KV cache. */
const BILLING_HEADER_PREFIX = "x-anthropic-billing-header:";

/**
 * An Anthropic Messages request → an OpenAI chat request for mlx-lm.server (or any compatible
 * server). Pure and deterministic: the same input always gives a byte-identical
 * `JSON.stringify` output, because the backend's prefix KV cache only hits on identical prompts.
 * Throws {@link TranslateError} (HTTP 400) for what the profile cannot take, e.g. images without
 * vision.
 *
 * @see docs/proxy.md, "Translation and tool calls"; docs/mlx-lm-server.md (the request fields the real server reads, its prompt cache)
 */
export function convertAnthropicToOpenAI(request: MessagesRequest, options: TranslateOptions): OpenAIChatRequest {
  const system = convertSystem(request.system, options.oneSystemMessage === true);
  const messages: OpenAIChatMessage[] = convertAnthropicMessages(request.messages, options);

  const tools = customTools(request.tools);
  const choice = request.tool_choice;
  // In xml mode the tools may already be in the system prompt (trimming put them there).
  const toolsOffered = (tools.length > 0 || options.toolMode === "xml") && choice?.type !== "none";
  const native = toolsOffered && options.toolMode === "native";
  const features = options.serverFeatures ?? NOTHING_ENFORCED;
  const forced = toolsOffered ? forcedToolChoice(choice, native ? features : NOTHING_ENFORCED) : undefined;
  const schema = request.output_config?.format?.schema;
  const jsonInWords = schema !== undefined && !features.jsonSchemaOutput;
  const hints = [repeatedCallHint(request.messages), forced?.hint, jsonInWords ? jsonOutputHint(schema) : undefined].filter((hint) => hint !== undefined);
  // At the end, not in the system prompt: these vary per request, the prefix must not.
  if (hints.length > 0) messages.push({ role: "user", content: wrapSystemReminder(hints.join("\n")) });

  const out: OpenAIChatRequest = {
    messages: [...system.map((content) => ({ role: "system" as const, content })), ...mergeAdjacentMessages(messages)],
    // A pre-warm (max_tokens 0) asks for the least every server takes; its token is not answered (LengthContext.prewarm).
    max_tokens: request.max_tokens === 0 ? 1 : clampMaxTokens(request.max_tokens, options.maxOutputTokens),
    stream: request.stream === true,
  };
  if (options.upstreamModel !== undefined) out.model = options.upstreamModel;
  if (native) {
    // A named tool on a server that only enforces "required" is the one tool it is offered.
    const only = forced?.onlyTool;
    out.tools = (only === undefined ? tools : tools.filter((tool) => tool.name === only)).map(convertTool);
    if (forced?.toolChoice !== undefined) out.tool_choice = forced.toolChoice;
    if (choice !== undefined && "disable_parallel_tool_use" in choice && choice.disable_parallel_tool_use === true) {
      out.parallel_tool_calls = false;
    }
  }
  if (schema !== undefined && !jsonInWords) {
    out.response_format = { type: "json_schema", json_schema: { name: "response", schema, strict: true } };
  }
  applySampling(out, request, options);
  // No `stop`: mlx-lm would swallow the sequence and say plain "stop", so no one could tell which
  // sequence (or EOS) ended the answer. mallex matches `stop_sequences` on the answer itself and
  // ends the generation there (createStopSequenceMatcher, the stream translator).
  // mlx only reports usage when asked, and then requires include_usage to be present.
  if (out.stream) out.stream_options = { include_usage: true };
  const enableThinking = upstreamThinking(request.thinking, options.enableThinking);
  if (enableThinking !== undefined) out.chat_template_kwargs = { enable_thinking: enableThinking };
  return reorderKeys(out);
}

/**
 * The system prompt as system messages: one, or two where blocks follow its last cache breakpoint —
 * the client's word (mallex's own trimmed prompt's too, see buildSystemPrompt) that the text up to
 * it is the same from one conversation to the next. Chat templates append the tools to the first
 * system message and render a later one where it stands, so the tools then stay in the prefix the
 * server's cache reuses instead of following what changes. `one`: the template takes one system
 * message only (Gemma's and Mistral's refuse a second), so it is all joined.
 */
function convertSystem(system: MessagesRequest["system"], one: boolean): string[] {
  if (system === undefined) return [];
  if (typeof system === "string") return system === "" ? [] : [system];
  const blocks = system.filter((block: AnthropicTextBlock) => !block.text.startsWith(BILLING_HEADER_PREFIX));
  const breakpoint = blocks.findLastIndex((block) => block.cache_control !== undefined && block.cache_control !== null);
  const parts = one || breakpoint === -1 ? [blocks] : [blocks.slice(0, breakpoint + 1), blocks.slice(breakpoint + 1)];
  return parts.map((part) => joinTextBlocks(part.map((block) => block.text))).filter((text) => text !== "");
}

/** Only name, description and schema: cache_control, strict, defer_loading… mean nothing here. */
export function convertTool(tool: AnthropicCustomTool): OpenAIFunctionTool {
  const fn: OpenAIFunctionTool["function"] =
    tool.description === undefined
      ? { name: tool.name, parameters: tool.input_schema }
      : { name: tool.name, description: tool.description, parameters: tool.input_schema };
  return { type: "function", function: fn };
}

const NOTHING_ENFORCED: ServerFeatures = { requiredToolChoice: false, namedToolChoice: false, jsonSchemaOutput: false };

/**
 * A forced tool call as the server can take it: OpenAI's `tool_choice` where it enforces one, else
 * in words (mlx ignores `tool_choice`). "required" cannot name the tool (llama-server reads an object
 * tool_choice as "auto"), so a named tool is enforced there by offering it alone: its grammar then
 * admits a call to that tool only. That prompt differs from the others in its tools, a prefix-cache
 * miss paid only by forced calls.
 */
function forcedToolChoice(
  choice: AnthropicToolChoice | undefined,
  features: ServerFeatures,
): { toolChoice?: OpenAIChatRequest["tool_choice"]; hint?: string; onlyTool?: string } | undefined {
  switch (choice?.type) {
    case "any":
      return features.requiredToolChoice ? { toolChoice: "required" } : { hint: "You must call at least one of the available tools in your reply." };
    case "tool": {
      if (features.namedToolChoice) return { toolChoice: { type: "function", function: { name: choice.name } } };
      if (features.requiredToolChoice) return { toolChoice: "required", onlyTool: choice.name };
      return { hint: `You must call the tool "${choice.name}" in your reply.` };
    }
    case "auto":
    case "none":
    case undefined:
      return undefined;
    default:
      return choice satisfies never;
  }
}

/** For servers that cannot constrain the answer; `extractJsonObject` takes the JSON out of it. */
function jsonOutputHint(schema: Record<string, unknown>): string {
  return `Reply with only a JSON object that matches this JSON schema, with no other text before or after it: ${JSON.stringify(schema)}`;
}

/** mlx defaults to 512 tokens when none is sent; the profile caps what Claude Code asks (64000). */
function clampMaxTokens(requested: number, cap: number): number {
  const value = Number.isFinite(requested) ? Math.min(requested, cap) : cap;
  return Math.max(0, Math.floor(value));
}

/** Request sampling values win; the profile's are defaults for what the request leaves out. */
function applySampling(out: OpenAIChatRequest, request: MessagesRequest, options: TranslateOptions): void {
  const profile = options.sampling ?? {};
  const temperature = request.temperature ?? profile.temperature;
  const topP = request.top_p ?? profile.top_p;
  const topK = request.top_k ?? profile.top_k;
  if (temperature !== undefined) out.temperature = temperature;
  if (topP !== undefined) out.top_p = topP;
  if (topK !== undefined) out.top_k = topK;
  if (profile.min_p !== undefined) out.min_p = profile.min_p;
  if (profile.repetition_penalty !== undefined) out.repetition_penalty = profile.repetition_penalty;
}

/**
 * Adjacent same-role messages become one (the Anthropic API merges consecutive turns too, and
 * many templates require strict user/assistant alternation). Tool messages are never merged:
 * each answers one tool call id.
 */
export function mergeAdjacentMessages(messages: readonly OpenAIChatMessage[]): OpenAIChatMessage[] {
  const merged: OpenAIChatMessage[] = [];
  for (const message of messages) {
    const last = merged.at(-1);
    if (last === undefined || last.role !== message.role || message.role === "tool") {
      merged.push(message);
    } else if (last.role === "system" && message.role === "system") {
      merged[merged.length - 1] = { role: "system", content: joinTextBlocks([last.content, message.content]) };
    } else if (last.role === "user" && message.role === "user") {
      merged[merged.length - 1] = {
        role: "user",
        content: normalizeParts([...asParts(last.content), ...asParts(message.content)]),
      };
    } else if (last.role === "assistant" && message.role === "assistant") {
      const combined: OpenAIChatMessage = {
        role: "assistant",
        content: joinTextBlocks([last.content, message.content]),
      };
      const toolCalls = [...(last.tool_calls ?? []), ...(message.tool_calls ?? [])];
      if (toolCalls.length > 0) combined.tool_calls = toolCalls;
      const reasoning = [last.reasoning_content, message.reasoning_content].filter((text): text is string => text !== undefined);
      if (reasoning.length > 0) combined.reasoning_content = joinTextBlocks(reasoning);
      merged[merged.length - 1] = combined;
    } else {
      merged.push(message);
    }
  }
  return merged;
}

function asParts(content: string | OpenAIContentPart[]): OpenAIContentPart[] {
  return typeof content === "string" ? [{ type: "text", text: content }] : content;
}

/** One fixed key order, whatever order the fields were set in above. */
function reorderKeys(request: OpenAIChatRequest): OpenAIChatRequest {
  const order: Array<keyof OpenAIChatRequest> = [
    "model",
    "messages",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "repetition_penalty",
    "stop",
    "stream",
    "stream_options",
    "chat_template_kwargs",
  ];
  const out: Record<string, unknown> = {};
  for (const key of order) if (request[key] !== undefined) out[key] = request[key];
  return out as unknown as OpenAIChatRequest;
}
