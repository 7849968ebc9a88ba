import { SMALL_CONTEXT_TOKENS } from "./small-context.js";

/** The context to ask for instead of `current` tokens: at least one that is not small, else twice as much. */
export function largerContext(current: number | undefined): number {
  return current === undefined || current < SMALL_CONTEXT_TOKENS ? SMALL_CONTEXT_TOKENS : current * 2;
}

/**
 * How to give a backend's model a context of `size` tokens, in the words of what serves it: each
 * server sets its context with a flag of its own, and only the embedded engine takes mallex's
 * `--ctx-size`. A declared window that stays smaller wins (fitToServerFacts), hence the last case.
 * `profileAt` says where the setting goes: `profile coder in ~/.mallex/mallex.yaml` (inConfigFile).
 */
export function contextFix(flavor: string | undefined, size: number, profileAt = "the profile"): string {
  switch (flavor) {
    case "embedded":
      return `start mallex with --ctx-size ${size} (mallex run --embedded MODEL.gguf --ctx-size ${size}), or set engine.context_size: ${size} in ${profileAt}`;
    case "llama-server":
      return `start llama-server with -c ${size} (--ctx-size)`;
    case "ollama":
      return `start ollama with OLLAMA_CONTEXT_LENGTH=${size} (or give the model num_ctx ${size})`;
    case "vllm":
      return `start vLLM with --max-model-len ${size}`;
    case "lmstudio":
      return `load the model in LM Studio with a context length of ${size}`;
    default:
      return `serve a model whose context holds ${size} tokens, and set context_window: ${size} in ${profileAt}`;
  }
}
