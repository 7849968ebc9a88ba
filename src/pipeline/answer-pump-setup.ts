import { createAnthropicStreamTransformer } from "../translate/translate-openai-stream.js";
import { checkEnforcedCall } from "./check-enforced-call.js";
import type { Upstream } from "./connect-upstream.js";
import { holdJsonText } from "./hold-json-text.js";
import type { AnsweringCall } from "./prepare-local-call.js";
import type { AnswerPumpOptions, AnswerSink, AnswerSource } from "./pump-answer.js";
import type { ServerContext } from "./server-context.js";

/** How a local call's streamed answer is pumped: the ping interval, and its translator. */
export const answerOptions = (ctx: ServerContext, call: AnsweringCall): AnswerPumpOptions => ({
  pingIntervalMs: ctx.pingIntervalMs,
  transformer: createAnthropicStreamTransformer({ ...call.translateContext, inputTokensEstimate: call.prompt.estimatedTokens }),
});

// Every byte counts as life for the supervisor, mlx's prefill keepalive comments included.
export const sourceOf = (upstream: Upstream): AnswerSource => ({ body: upstream.response.body, bodyError: upstream.response.bodyError, onBytes: upstream.progress });

/** Where a local call's answer goes: checked for the forced call the server enforces; a JSON answer may come wrapped in prose or a code fence, so its text blocks are held and cut to the JSON. */
export const sinkFor = (call: AnsweringCall, sink: AnswerSink): AnswerSink => {
  const checked = call.enforced === undefined ? sink : checkEnforcedCall(sink, call.enforced);
  return call.wantsJson ? holdJsonText(checked) : checked;
};
