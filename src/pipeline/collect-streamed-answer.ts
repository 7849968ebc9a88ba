import { FastResponse } from "srvx";
import { mapErrorTypeToStatus } from "../translate/anthropic-error.js";
import type { AnthropicStreamEvent } from "../translate/anthropic-types.js";
import { collectStreamMessage } from "../translate/collect-stream-message.js";
import { answerOptions, sinkFor, sourceOf } from "./answer-pump-options.js";
import type { Upstream } from "./call-backend.js";
import { refusal, type Refusal } from "./refusal.js";
import type { AnsweringCall } from "./plan-local-call.js";
import { pumpAnswer, type AnswerSink } from "./pump-answer.js";
import { createEventObserver } from "../observe/request-log.js";
import type { RequestScope } from "./request-scope.js";

/**
 * A local call streamed from the backend (so that mallex can stop it at a stop sequence) but answered
 * in one piece: the stream's events collected into the message, or its error. `end` writes the
 * request's log line.
 */
export async function collectStreamedAnswer(
  scope: RequestScope,
  call: AnsweringCall,
  upstream: Upstream,
  end: (error?: string) => void,
): Promise<Response | Refusal> {
  scope.signal.addEventListener("abort", () => end("client disconnected"), { once: true });
  const observe = createEventObserver(call.metrics, scope.server.deps.now, end);
  const events: AnthropicStreamEvent[] = [];
  await new Promise<void>((resolve) => {
    const collect: AnswerSink = {
      event(event) {
        events.push(event);
        observe(event);
      },
      flush: () => true,
      end: resolve,
      error(reason) {
        events.push({
          type: "error",
          error: { type: "api_error", message: `mallex failed on this answer: ${reason instanceof Error ? reason.message : String(reason)}` },
        });
        resolve();
      },
    };
    pumpAnswer(
      { ...answerOptions(call, { pingIntervalMs: scope.server.pingIntervalMs, now: scope.server.deps.now }), ...sourceOf(upstream) },
      sinkFor(call, collect),
    );
  });
  end();
  const collected = collectStreamMessage(events);
  if (!collected.ok) {
    const retry = collected.error.type === "overloaded_error" || collected.error.type === "rate_limit_error";
    return refusal(mapErrorTypeToStatus(collected.error.type), collected.error.message, { type: collected.error.type, retry });
  }
  return FastResponse.json(collected.message);
}
