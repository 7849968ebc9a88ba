import { createContentAssembler, type ContentAssemblerContext } from "./assemble-content-blocks.js";
import { createContentBlockAccumulator } from "./accumulate-content-blocks.js";
import type { AnthropicMessage } from "./anthropic-types.js";
import { convertOpenAIUsage } from "./convert-openai-usage.js";
import type { RepeatLimit, Repetition } from "./model-text/watch-repeats.js";
import { describeReportedError } from "./describe-reported-error.js";
import { mapFinishReason } from "./map-finish-reason.js";
import { overrunChars } from "./max-tokens-overrun.js";
import { settleLength, type LengthContext } from "./output-cap-note.js";
import type { OpenAIChatResponse } from "./openai-types.js";

/**
 * What turning one answer into Anthropic's shape needs, streamed or whole: the content blocks'
 * settings (ContentAssemblerContext, all but where its events go), the request's limits, and the
 * model name to echo.
 */
export interface AnthropicResponseContext extends Omit<LengthContext, "profileName">, Omit<ContentAssemblerContext, "emit"> {
  /** The model name Claude Code asked for, echoed back (never the local model's name). */
  model: string;
  /** Told when mallex cut an answer the server let run far past max_tokens (see overrunChars). */
  onOverrun?: (() => void) | undefined;
  /** A streamed answer whose end repeats one piece this much is stopped there (watch-repeats.ts); absent: never. */
  stopRepeats?: RepeatLimit | undefined;
  /** Told when mallex stopped an answer caught in a loop. */
  onRepeats?: ((repetition: Repetition) => void) | undefined;
  /** Told when mallex stopped a streamed answer (with stopRepeats) that wrote one of its calls again: the call's tool. */
  onRepeatedCall?: ((tool: string) => void) | undefined;
}

/**
 * A non-streaming OpenAI chat response → an Anthropic Message. The blocks come from the same
 * assembler as the stream (thinking strip/expose, `<think>` tags, text tool calls, checked native
 * calls), so a non-streaming retry of a broken stream gets the same answer shape.
 *
 * Throws when the body is an upstream error rather than a completion (`{"error": …}`): there is
 * no message to build, and the caller decides the HTTP status.
 *
 * @see docs/mlx-lm-server.md (what the real server answers); "Messages" in Anthropic's API reference (the non-streaming Message)
 */
export function convertOpenAIResponse(response: OpenAIChatResponse, ctx: AnthropicResponseContext): AnthropicMessage {
  if (response.error !== undefined && response.error !== null) {
    throw new Error(describeReportedError(response.error));
  }
  // A pre-warm's one token is not the client's (LengthContext.prewarm): no content, max_tokens, 0 out.
  if (ctx.prewarm)
    return {
      id: ctx.deps.generateId("msg"),
      type: "message",
      role: "assistant",
      model: ctx.model,
      content: [],
      stop_reason: "max_tokens",
      stop_sequence: null,
      usage: convertOpenAIUsage(response.usage && { ...response.usage, completion_tokens: 0 }),
    };
  const accumulator = createContentBlockAccumulator();
  const blocks = createContentAssembler({ ...ctx, emit: accumulator.push });

  // One completion is requested (n = 1): choice 0 is the answer.
  const choice = response.choices?.find((candidate) => (candidate.index ?? 0) === 0);
  const message = choice?.message ?? {};
  const reasoning = message.reasoning ?? message.reasoning_content ?? "";
  const content = message.content ?? "";
  // A server that ignored max_tokens: the answer is what fits under the overrun bound, as the stream's.
  const limit = ctx.maxTokens === undefined ? Infinity : overrunChars(ctx.maxTokens);
  const overran = reasoning.length + content.length > limit;
  if (reasoning) blocks.reasoning(reasoning.slice(0, limit));
  if (content) blocks.content(content.slice(0, Math.max(0, limit - reasoning.length)));
  if (overran) ctx.onOverrun?.();
  else
    message.tool_calls?.forEach((call, position) => blocks.toolCallDelta({ index: position, id: call.id ?? null, function: call.function ?? null }, position));
  const finishReason = overran
    ? "length"
    : settleLength(choice?.finish_reason, response.usage, { ...ctx, profileName: ctx.options.profileName }, (text) => blocks.note(text));
  blocks.finish();
  const stopSequence = blocks.stopSequence;

  return {
    id: ctx.deps.generateId("msg"),
    type: "message",
    role: "assistant",
    model: ctx.model,
    content: accumulator.blocks(),
    stop_reason: stopSequence === undefined ? mapFinishReason(finishReason, blocks.emittedToolUse) : "stop_sequence",
    stop_sequence: stopSequence ?? null,
    usage: convertOpenAIUsage(response.usage),
  };
}
