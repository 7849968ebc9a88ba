/**
 * Hand-written types for the Anthropic Messages API as Claude Code speaks it (SDK v0.120 beta
 * resource). Incoming shapes are lenient where Claude Code is known to send more than the public
 * API documents (a `role: "system"` message mid-conversation, beta-only request fields).
 *
 * @see schema/anthropic-messages.schema.json, the request's shape as mallex checks it; the Messages API
 *   in Anthropic's API reference.
 * @see "Messages" and "Streaming Messages" in Anthropic's API reference
 */

// ---------------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------------

export interface AnthropicCacheControl {
  type: "ephemeral";
  ttl?: string;
}

export interface AnthropicTextBlock {
  type: "text";
  text: string;
  cache_control?: AnthropicCacheControl | null;
  citations?: unknown;
}

export type AnthropicImageSource = { type: "base64"; media_type: string; data: string } | { type: "url"; url: string } | { type: "file"; file_id: string };

export interface AnthropicImageBlock {
  type: "image";
  source: AnthropicImageSource;
  cache_control?: AnthropicCacheControl | null;
}

export type AnthropicDocumentSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "text"; media_type?: string; data: string }
  | { type: "content"; content: string | AnthropicContentBlock[] }
  | { type: "url"; url: string }
  | { type: "file"; file_id: string };

export interface AnthropicDocumentBlock {
  type: "document";
  source: AnthropicDocumentSource;
  title?: string | null;
  context?: string | null;
  cache_control?: AnthropicCacheControl | null;
  citations?: unknown;
}

export interface AnthropicToolUseBlock {
  type: "tool_use";
  id: string;
  name: string;
  input: unknown;
  cache_control?: AnthropicCacheControl | null;
}

/** Blocks allowed inside a tool_result's `content` array. */
export type AnthropicToolResultContentBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicDocumentBlock
  | { type: "search_result"; source?: string; title?: string; content?: AnthropicTextBlock[] }
  | { type: "tool_reference"; tool_name: string };

export interface AnthropicToolResultBlock {
  type: "tool_result";
  tool_use_id: string;
  content?: string | AnthropicToolResultContentBlock[];
  is_error?: boolean;
  cache_control?: AnthropicCacheControl | null;
}

export interface AnthropicThinkingBlock {
  type: "thinking";
  thinking: string;
  signature: string;
}

export interface AnthropicRedactedThinkingBlock {
  type: "redacted_thinking";
  data: string;
}

/**
 * A tool offered or withdrawn mid-conversation (beta mid-conversation-tool-changes-2026-07-01), in
 * Claude Code's `role: "system"` messages: added by its whole definition or by a reference to one
 * of the request's tools, removed by reference. (A reference names its tool `name` here, and
 * `tool_name` inside a tool_result.)
 */
export interface AnthropicToolChangeBlock {
  type: "tool_addition" | "tool_removal";
  tool: { type: "tool_reference"; name: string } | { type: "tool_definition"; definition: AnthropicTool };
  cache_control?: AnthropicCacheControl | null;
}

export type AnthropicContentBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicDocumentBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock
  | AnthropicToolChangeBlock;

/** The public API has only user/assistant; Claude Code also sends `system` mid-conversation. */
export type AnthropicRole = "user" | "assistant" | "system";

export interface AnthropicMessageParam {
  role: AnthropicRole;
  content: string | AnthropicContentBlock[];
  /**
   * Claude Code's per-turn settings (beta per-turn-control-2026-07-01), on its `role: "system"`
   * messages: the effort from that turn on, when `/effort` changed it mid-conversation. Such a
   * message may have no content at all.
   */
  output_config?: AnthropicOutputConfig;
}

export interface AnthropicCustomTool {
  type?: "custom";
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
  cache_control?: AnthropicCacheControl | null;
  strict?: boolean;
  defer_loading?: boolean;
  eager_input_streaming?: boolean;
  input_examples?: unknown[];
}

/** Server tools (`web_search_20250305`, `bash_20250124`, …): run by Anthropic, never locally. */
export interface AnthropicServerTool {
  type: string;
  name: string;
  [key: string]: unknown;
}

export type AnthropicTool = AnthropicCustomTool | AnthropicServerTool;

export type AnthropicToolChoice =
  | { type: "auto"; disable_parallel_tool_use?: boolean }
  | { type: "any"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean }
  | { type: "none" };

export type AnthropicThinkingConfig =
  { type: "enabled"; budget_tokens?: number; display?: string } | { type: "adaptive"; display?: string } | { type: "disabled" };

/** `format`: the answer must be one JSON value matching `schema` (Claude Code's session titles). */
export interface AnthropicOutputConfig {
  effort?: string;
  format?: { type: "json_schema"; schema: Record<string, unknown> };
}

export interface MessagesRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessageParam[];
  system?: string | AnthropicTextBlock[];
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stream?: boolean;
  thinking?: AnthropicThinkingConfig;
  metadata?: { user_id?: string | null };
  output_config?: AnthropicOutputConfig;
  // Beta / newer fields Claude Code sends; the local backend has no equivalent, so they are ignored.
  context_management?: unknown;
  cache_control?: unknown;
  container?: unknown;
  service_tier?: unknown;
  inference_geo?: unknown;
}

// ---------------------------------------------------------------------------------------------
// Response
// ---------------------------------------------------------------------------------------------

/** @see map-finish-reason.ts; the response's `stop_reason` in Anthropic's Messages API reference. */
export type AnthropicStopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "pause_turn" | "refusal" | "model_context_window_exceeded";

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export type AnthropicOutputBlock =
  { type: "text"; text: string } | { type: "thinking"; thinking: string; signature: string } | { type: "tool_use"; id: string; name: string; input: unknown };

export interface AnthropicMessage {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: AnthropicOutputBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

// ---------------------------------------------------------------------------------------------
// Errors ("Errors" in Anthropic's API reference; docs/reliability.md, "Timeouts and errors")
// ---------------------------------------------------------------------------------------------

export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "billing_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "timeout_error"
  | "overloaded_error";

export interface AnthropicErrorObject {
  type: AnthropicErrorType;
  message: string;
  /** Machine-readable specifics the SDK acts on, e.g. `{error_code: "thread_unsupported_request"}`. */
  details?: { error_code: string; [key: string]: unknown };
}

export interface AnthropicErrorBody {
  type: "error";
  error: AnthropicErrorObject;
  request_id?: string;
}

// ---------------------------------------------------------------------------------------------
// Stream events ("Streaming Messages" in Anthropic's API documentation)
// ---------------------------------------------------------------------------------------------

/** `message_delta.usage`: output_tokens is required (the SDK overwrites its total); the rest optional. */
export interface AnthropicDeltaUsage {
  output_tokens: number;
  input_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export type AnthropicStartBlock =
  { type: "text"; text: "" } | { type: "thinking"; thinking: ""; signature: "" } | { type: "tool_use"; id: string; name: string; input: Record<string, never> };

export type AnthropicBlockDelta =
  | { type: "text_delta"; text: string }
  | { type: "thinking_delta"; thinking: string }
  | { type: "signature_delta"; signature: string }
  | { type: "input_json_delta"; partial_json: string };

export type AnthropicStreamEvent =
  | { type: "message_start"; message: AnthropicMessage }
  | { type: "content_block_start"; index: number; content_block: AnthropicStartBlock }
  | { type: "content_block_delta"; index: number; delta: AnthropicBlockDelta }
  | { type: "content_block_stop"; index: number }
  | {
      type: "message_delta";
      delta: { stop_reason: AnthropicStopReason; stop_sequence: string | null };
      usage: AnthropicDeltaUsage;
    }
  | { type: "message_stop" }
  | { type: "ping" }
  | { type: "error"; error: AnthropicErrorObject };

export type AnthropicStreamEventType = AnthropicStreamEvent["type"];
