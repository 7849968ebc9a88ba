/**
 * The pure translation layer: Anthropic Messages ⇄ OpenAI Chat. No network, no clock, no
 * randomness except through {@link TranslateDeps}.
 *
 * @module
 */

// Request: Anthropic → OpenAI
export { convertAnthropicToOpenAI } from "./convert-anthropic-to-openai.js";
export { TranslateError, type TranslateErrorCode } from "./translate-error.js";
export type { SamplingOptions, ServerFeatures, TranslateDeps, TranslateOptions } from "./translate-options.js";

// Stream: OpenAI SSE → Anthropic events → SSE text
export { parseOpenAIEventStream } from "./stream/parse-openai-sse.js";
export { createAnthropicStreamTranslator, type AnthropicStreamContext } from "./stream/translate-openai-stream.js";
export type { DoneSignal, OpenAIStreamPart, ParseResult, StreamSignal, TranslatorInput } from "./stream/stream-types.js";
export { formatSSE } from "./stream/format-sse.js";

// Non-streaming response: OpenAI → Anthropic
export { convertOpenAIResponse, type AnthropicResponseContext } from "./convert-openai-response.js";

// Mappings and errors
export { convertOpenAIUsage } from "./convert-openai-usage.js";
export { mapFinishReason } from "./map-finish-reason.js";
export { mapErrorTypeToStatus, mapStatusToErrorType, toAnthropicError } from "./anthropic-error.js";

// Types
export type * from "./anthropic-types.js";
export type * from "./openai-types.js";
