/**
 * OpenAI Chat Completions types as mallex uses them. The outgoing request is exact (it is what we
 * build); incoming responses and chunks are lenient on purpose, because real servers differ:
 * mlx-lm sends `reasoning` and a usage chunk with `choices: []` and `object: "chat.completion"`,
 * llama.cpp/vLLM send `reasoning_content`, some backends send usage with `choices: null` or put
 * content and `finish_reason` in one chunk.
 *
 * @see docs/mlx-lm-server.md, what the real mlx-lm.server sends; OpenAI's Chat Completions API reference.
 * @see "Chat Completions" in OpenAI's API reference (responses, streamed chunks, tool-call deltas)
 */

// ---------------------------------------------------------------------------------------------
// Request (outgoing)
// ---------------------------------------------------------------------------------------------

export type OpenAIContentPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

export interface OpenAIToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface OpenAISystemMessage {
  role: "system";
  content: string;
}

export interface OpenAIUserMessage {
  role: "user";
  /** A plain string unless the message carries images (vision profiles only). */
  content: string | OpenAIContentPart[];
}

export interface OpenAIAssistantMessage {
  role: "assistant";
  content: string;
  tool_calls?: OpenAIToolCall[];
  /** Read by some chat templates (Qwen3, DeepSeek) to re-render earlier thinking. */
  reasoning_content?: string;
}

export interface OpenAIToolMessage {
  role: "tool";
  tool_call_id: string;
  content: string;
}

export type OpenAIChatMessage = OpenAISystemMessage | OpenAIUserMessage | OpenAIAssistantMessage | OpenAIToolMessage;

export interface OpenAIFunctionTool {
  type: "function";
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

export interface OpenAIChatRequest {
  /** Omitted for mlx-lm: any value other than the loaded model makes it load (download) that model. */
  model?: string;
  messages: OpenAIChatMessage[];
  tools?: OpenAIFunctionTool[];
  tool_choice?: "required" | { type: "function"; function: { name: string } };
  parallel_tool_calls?: boolean;
  response_format?: { type: "json_schema"; json_schema: { name: string; schema: Record<string, unknown>; strict: true } };
  max_tokens: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  repetition_penalty?: number;
  stop?: string[];
  stream: boolean;
  stream_options?: { include_usage: true };
  chat_template_kwargs?: { enable_thinking: boolean };
}

// ---------------------------------------------------------------------------------------------
// Response and stream chunks (incoming, lenient)
// ---------------------------------------------------------------------------------------------

/** Known values; servers may send others, so the field itself is typed as string. */
export type OpenAIFinishReason = "stop" | "length" | "tool_calls" | "function_call" | "content_filter";

export interface OpenAIUsage {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  total_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
}

/** An upstream error object inside a 200 stream (vLLM, llama.cpp) or as the whole body. */
export interface OpenAIErrorPayload {
  message?: string;
  type?: string;
  code?: string | number | null;
}

export interface OpenAIResponseToolCall {
  id?: string | null;
  type?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

export interface OpenAIResponseMessage {
  role?: string | null;
  content?: string | null;
  reasoning?: string | null;
  reasoning_content?: string | null;
  tool_calls?: OpenAIResponseToolCall[] | null;
}

export interface OpenAIChatResponse {
  id?: string;
  object?: string;
  model?: string;
  created?: number;
  choices?: Array<{ index?: number; finish_reason?: string | null; message?: OpenAIResponseMessage | null }> | null;
  usage?: OpenAIUsage | null;
  error?: OpenAIErrorPayload | string | null;
}

export interface OpenAIToolCallDelta {
  /** Absent on some servers that send whole calls; mlx-lm sends it when streaming. */
  index?: number | null;
  id?: string | null;
  type?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

export interface OpenAIChunkDelta {
  role?: string | null;
  content?: string | null;
  reasoning?: string | null;
  reasoning_content?: string | null;
  tool_calls?: OpenAIToolCallDelta[] | null;
}

export interface OpenAIChunkChoice {
  index?: number;
  delta?: OpenAIChunkDelta | null;
  finish_reason?: string | null;
}

export interface OpenAIChunk {
  id?: string;
  /** `chat.completion.chunk`, but mlx-lm's usage chunk says `chat.completion`. */
  object?: string;
  model?: string;
  created?: number;
  choices?: OpenAIChunkChoice[] | null;
  usage?: OpenAIUsage | null;
  error?: OpenAIErrorPayload | string | null;
}
