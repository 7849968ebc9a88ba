/** A model server's refusal of a prompt its context cannot hold, with the numbers it gave. */
export interface ContextOverflow {
  /** The prompt's tokens, as the server counted them. */
  promptTokens?: number;
  /** The tokens the server's context holds. */
  contextTokens?: number;
}

/**
 * Each server's own wording for a prompt over its context; the groups are (prompt, context) or
 * (context, prompt) as `order` says.
 */
const WORDINGS: ReadonlyArray<{ pattern: RegExp; order: "prompt-context" | "context-prompt" }> = [
  // llama-server (tools/server/server-context.cpp, type exceed_context_size_error):
  // "request (9412 tokens) exceeds the available context size (8192 tokens), try increasing it"
  { pattern: /request \((\d+) tokens\) exceeds the available context size \((\d+) tokens\)/, order: "prompt-context" },
  // mallex's embedded engine (src/engine/engine-request.ts).
  { pattern: /the prompt is (\d+) tokens and this engine's context holds (\d+)/, order: "prompt-context" },
  // vLLM (vllm/entrypoints/openai/serving_engine.py): "This model's maximum context length is 4096
  // tokens. However, you requested 5000 tokens (…)" / "However, your request has 5000 input tokens".
  { pattern: /maximum context length is (\d+) tokens\. However, (?:you requested|your request has|your messages resulted in) (\d+)/, order: "context-prompt" },
  // LM Studio: "…the model is loaded with context length of only 4096 tokens, which is not enough…"
  { pattern: /()loaded with context length of only (\d+) tokens/, order: "prompt-context" },
];

/** Wording with no numbers: llama-server before it gave them, and other servers. */
const PLAIN =
  /exceeds? the available context size|exceed_context_size_error|context (?:length|size|window) (?:exceeded|overflow)|(?:prompt|input|request) is (?:too long|longer than) (?:for )?(?:the|its|this)? ?(?:model'?s? )?context/i;

/** The overflow a server's error message describes; undefined when it describes another failure. */
export function readContextOverflow(message: string): ContextOverflow | undefined {
  for (const { pattern, order } of WORDINGS) {
    const match = pattern.exec(message);
    if (match === null) continue;
    const [first, second] = [tokens(match[1]), tokens(match[2])];
    const [promptTokens, contextTokens] = order === "prompt-context" ? [first, second] : [second, first];
    return { ...(promptTokens === undefined ? {} : { promptTokens }), ...(contextTokens === undefined ? {} : { contextTokens }) };
  }
  return PLAIN.test(message) ? {} : undefined;
}

function tokens(text: string | undefined): number | undefined {
  const value = text === undefined || text === "" ? NaN : Number(text);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}
