import type { ToolCallFormat } from "../tools/parsers/types.js";

/** Sampling defaults from the model profile; request values win over these. */
export interface SamplingOptions {
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  repetition_penalty?: number;
}

/**
 * What the model server enforces by itself. What it cannot enforce is asked for in words at the end
 * of the prompt (and, for JSON, dug out of the answer), so absent means: ask for everything.
 */
export interface ServerFeatures {
  /** Takes `tool_choice: "required"` and makes the model call a tool. */
  requiredToolChoice: boolean;
  /** Takes `tool_choice: {type: "function", function: {name}}` and makes the model call that tool. */
  namedToolChoice: boolean;
  /** Takes `response_format: {type: "json_schema"}` and constrains the answer to the schema. */
  jsonSchemaOutput: boolean;
}

/** What the compiled model profile decides about one translation (request and response). */
export interface TranslateOptions {
  /** The profile's output cap: `max_tokens` sent upstream is min(request, this). */
  maxOutputTokens: number;
  /** Strip model reasoning from responses, or expose it as Anthropic `thinking` blocks. */
  thinking: "strip" | "expose";
  /** `native`: OpenAI `tools`/`tool_calls`; `xml`: tools live in the prompt, calls come back as text. */
  toolMode: "native" | "xml";
  /** The one text format to parse tool calls from in content; absent: every family at once ("auto"). */
  toolFormat?: ToolCallFormat;
  /** Whether the backend accepts OpenAI `image_url` parts. */
  vision: boolean;
  sampling?: SamplingOptions;
  /** Overrides the request's `thinking` for `chat_template_kwargs.enable_thinking`. */
  enableThinking?: boolean;
  /** Sent as `model`; omit for mlx-lm, where any value makes it load that model. */
  upstreamModel?: string;
  /** What the backend enforces itself (see {@link ServerFeatures}); absent: nothing. */
  serverFeatures?: ServerFeatures;
  /** The chat template takes one system message only: the system prompt is never split at its cache breakpoint (convertSystem). */
  oneSystemMessage?: boolean;
  /** The profile's name, only used to make error messages actionable. */
  profileName?: string;
}

/** Everything that varies between runs, injected so translations are reproducible in tests. */
export interface TranslateDeps {
  generateId(prefix: "msg" | "toolu"): string;
}
