import type { AnthropicErrorType } from "../translate/anthropic-types.js";
import { streamEventCharsFor } from "../translate/stream/parse-openai-sse.js";
import { readPrefillProgress, type PrefillProgress } from "../observe/read-prefill-progress.js";
import { createAnthropicStreamTransformer } from "../translate/stream/translate-openai-stream.js";
import { checkEnforcedCall } from "./answer-checks/check-enforced-call.js";
import type { Upstream } from "./call-backend.js";
import { holdJsonText } from "./answer-checks/hold-json-text.js";
import { replyCallsAsTextSink } from "./answer-checks/reply-calls-as-text.js";
import type { AnsweringCall } from "./plan-local-call.js";
import type { AnswerPumpOptions, AnswerSink, AnswerSource } from "./pump-answer.js";
import type { TranslatorInput } from "../translate/stream/stream-types.js";

/** How a local call's streamed answer is pumped: the ping interval, and its translator, which notes when the model's first token came. */
export const answerOptions = (call: AnsweringCall, { pingIntervalMs, now }: { pingIntervalMs: number; now: () => number }): AnswerPumpOptions => {
  const translator = createAnthropicStreamTransformer({ ...call.translateContext, inputTokensEstimate: call.prompt.estimatedTokens });
  const { record } = call;
  let generating = false;
  return {
    pingIntervalMs,
    maxEventChars: streamEventCharsFor(call.translateContext.maxTokens),
    now,
    transformer: {
      ...translator,
      transform(input, controller) {
        if (!generating && carriesGeneratedToken(input)) {
          generating = true;
          record.happened({ type: "model-token" });
        }
        translator.transform!(input, controller);
      },
    },
  };
};

/** Pure: a chunk with something the model generated in it — not a role-only first chunk, a usage chunk or a signal. */
export function carriesGeneratedToken(input: TranslatorInput): boolean {
  if (!("success" in input) || !input.success) return false;
  const delta = input.value.choices?.[0]?.delta as { content?: unknown; reasoning_content?: unknown; reasoning?: unknown; tool_calls?: unknown } | undefined;
  if (delta === undefined) return false;
  const text = (value: unknown) => typeof value === "string" && value !== "";
  return text(delta.content) || text(delta.reasoning_content) || text(delta.reasoning) || (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0);
}

// Every byte counts as life for the supervisor, mlx's prefill keepalive comments included; those
// and the engine's prefill comments also say how far the prefill is (`prefilled`: the dashboard's).
// A read failure is the backend's (bodyError) and told as `failed` classifies it.
export const sourceOf = (
  upstream: Upstream,
  failed: (error: unknown) => { type: AnthropicErrorType; message: string },
  prefilled?: (progress: PrefillProgress) => void,
): AnswerSource => ({
  body: upstream.response.body,
  readFailure: (error) => failed(upstream.response.bodyError(error)),
  onBytes: upstream.progress,
  ...(prefilled
    ? {
        onComment: (comment: string) => {
          const progress = readPrefillProgress(comment);
          if (progress !== undefined) prefilled(progress);
        },
      }
    : {}),
});

/** Where a local call's answer goes: checked for the forced call the server enforces; a JSON answer may come wrapped in prose or a code fence, so its text blocks are held and cut to the JSON. */
export const sinkFor = (call: AnsweringCall, sink: AnswerSink): AnswerSink => {
  const replied = call.replyTool === true ? replyCallsAsTextSink(sink) : sink;
  const checked = call.enforced === undefined ? replied : checkEnforcedCall(replied, call.enforced);
  return call.wantsJson ? holdJsonText(checked) : checked;
};
