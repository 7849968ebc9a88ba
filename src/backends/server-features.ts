import type { ServerFeatures } from "../translate/translate-options.js";

const NONE: ServerFeatures = { requiredToolChoice: false, namedToolChoice: false, jsonSchemaOutput: false };

/**
 * What each kind of server is known to enforce (its docs or its source say so). Anything not listed
 * is asked for in words, which works everywhere: a server that ignored `tool_choice` would lose the
 * forced call silently.
 */
const BY_FLAVOR: Readonly<Record<string, ServerFeatures>> = {
  // mlx-lm.server 0.32 ignores tool_choice and response_format (no grammar support).
  "mlx-lm": NONE,
  // llama-server maps "required" to a grammar; an object tool_choice is read as "auto".
  "llama-server": { requiredToolChoice: true, namedToolChoice: false, jsonSchemaOutput: true },
  vllm: { requiredToolChoice: true, namedToolChoice: true, jsonSchemaOutput: true },
  openrouter: { requiredToolChoice: true, namedToolChoice: true, jsonSchemaOutput: true },
  // Both constrain response_format's json_schema; neither documents tool_choice.
  ollama: { ...NONE, jsonSchemaOutput: true },
  lmstudio: { ...NONE, jsonSchemaOutput: true },
  generic: NONE,
  // mallex's own engine turns tool_choice and response_format into llama.cpp grammars.
  embedded: { requiredToolChoice: true, namedToolChoice: true, jsonSchemaOutput: true },
  // exo's chat adapter drops tool_choice, and passes response_format to no sampler (only DeepSeek's
  // prompt template writes it into the prompt).
  exo: NONE,
};

export function serverFeaturesOf(flavor: string): ServerFeatures {
  return BY_FLAVOR[flavor] ?? NONE;
}
