import type { ToolCallFormat } from "../tools/parsers/types.js";

/** Sampling defaults from the model profile; request values win over these. */
export interface SamplingOptions {
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  repetition_penalty?: number;
}

/** What the compiled model profile decides about one translation (request and response). */
export interface TranslateOptions {
  /** The profile's output cap: `max_tokens` sent upstream is min(request, this). */
  maxOutputTokens: number;
  /** Strip model reasoning from responses, or expose it as Anthropic `thinking` blocks. */
  thinking: "strip" | "expose";
  /** `native`: OpenAI `tools`/`tool_calls`; `xml`: tools live in the prompt, calls come back as text. */
  toolMode: "native" | "xml";
  /** Text format to parse tool calls from content (mlx leaks unparsed calls even in native mode). */
  toolFormat?: ToolCallFormat;
  /** Whether the backend accepts OpenAI `image_url` parts. */
  vision: boolean;
  sampling?: SamplingOptions;
  /** Overrides the request's `thinking` for `chat_template_kwargs.enable_thinking`. */
  enableThinking?: boolean;
  /** Sent as `model`; omit for mlx-lm, where any value makes it load that model. */
  upstreamModel?: string;
  /** The profile's name, only used to make error messages actionable. */
  profileName?: string;
}

/** Everything that varies between runs, injected so translations are reproducible in tests. */
export interface TranslateDeps {
  generateId(prefix: "msg" | "toolu"): string;
}
