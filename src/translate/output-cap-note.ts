import { CONTEXT_FULL, filledContext, type AnswerLimits } from "./context-full.js";
import type { OpenAIUsage } from "./openai-types.js";

/**
 * The line added to an answer that mallex's own cap ended (the profile's max_output_tokens, or what a
 * small context leaves, below the client's max_tokens): the answer is cut, and its stop_reason says so
 * (`max_tokens`), but Claude Code's own message for it names the client's limit and
 * CLAUDE_CODE_MAX_OUTPUT_TOKENS, which change nothing here. The line says where the limit is.
 */
export function outputCapNote(cap: number, profileName: string | undefined, contextSize?: number, settingsIn = "in mallex.yaml"): string {
  const why =
    contextSize === undefined
      ? `max_output_tokens${profileName ? ` of profile ${profileName}` : ""} ${settingsIn}`
      : `what leaves room for the next request in ${profileName ? `profile ${profileName}'s ` : "the "}${contextSize}-token context; a larger context raises it`;
  return `\n\n[mallex: the answer was cut at ${cap} tokens, the local model's output limit (${why})]`;
}

/** What settles a `length` finish: the limits of the answer, and who is told which one ended it. */
export interface LengthContext extends AnswerLimits {
  /**
   * The client sent `max_tokens: 0`, the API's prompt-cache pre-warm: the prompt is read, nothing is
   * answered. mlx-lm.server (and vLLM, and OpenAI) refuse 0, so the server is asked for one token
   * (convert-anthropic-to-openai.ts), which the answer leaves out: no content, `max_tokens`, 0 out.
   */
  prewarm?: boolean | undefined;
  /** The profile's output cap, when it (not the client's max_tokens) bounds this answer. */
  outputCap?: number | undefined;
  /** Set when the cap is the small context's (answerCapFor), not the profile's max_output_tokens: that context's size. */
  outputCapContext?: number | undefined;
  profileName?: string | undefined;
  /** Where the profile's settings are changed, `in ~/.mallex/mallex.yaml` (shared/in-config-file.ts); absent: `in mallex.yaml`. */
  settingsIn?: string | undefined;
  /** Told when the cap ended the answer, for the request log. */
  onOutputCap?: (() => void) | undefined;
  /** Told when the full context ended it, with the server's counts, for the request log. */
  onContextFull?: ((usage: OpenAIUsage | null | undefined) => void) | undefined;
}

/**
 * The finish reason to map, for the stream and the whole response alike: a `length` the context
 * caused becomes CONTEXT_FULL (`model_context_window_exceeded`); one under mallex's own cap stays
 * `length` (`max_tokens`: the answer is cut, whoever lowered the limit), after the note naming the cap
 * is added to the answer through `addText`. Never `stop`: an answer reported as finished when it was
 * cut is taken as complete by every client. Only the cap is named as the cause when it was the cause.
 */
export function settleLength<R extends string | null | undefined>(
  finishReason: R,
  usage: OpenAIUsage | null | undefined,
  limits: LengthContext,
  addText: (text: string) => void,
): R | typeof CONTEXT_FULL {
  if (finishReason !== "length") return finishReason;
  if (filledContext(usage, limits)) {
    limits.onContextFull?.(usage);
    return CONTEXT_FULL;
  }
  if (limits.outputCap === undefined) return finishReason;
  limits.onOutputCap?.();
  addText(outputCapNote(limits.outputCap, limits.profileName, limits.outputCapContext, limits.settingsIn));
  return finishReason;
}
