import type { AnthropicMessage, AnthropicStreamEvent } from "../../translate/anthropic-types.js";
import { enforcedCallMissing, type ForcedToolChoice } from "../../translate/tool-calls/forced-tool-call.js";
import type { AnswerSink } from "../pump-answer.js";
import { toAnthropicError } from "../../translate/anthropic-error.js";

export interface EnforcedCall {
  choice: ForcedToolChoice;
  where: { profile: string; flavor: string };
}

/**
 * A streamed answer to a forced tool_choice that the server enforces, passed on as it comes; if it
 * ends without the call anyway, its end is an `api_error` event instead of `message_delta` and
 * `message_stop`: what was streamed cannot be taken back, but the client is not told the turn ended
 * as promised (the SDKs throw on the error event).
 */
export function checkEnforcedCall(sink: AnswerSink, enforced: EnforcedCall): AnswerSink {
  const called: string[] = [];
  let failed = false;
  return {
    event(event: AnthropicStreamEvent) {
      if (failed) return;
      if (event.type === "content_block_start" && event.content_block.type === "tool_use") called.push(event.content_block.name);
      if (event.type === "message_delta") {
        const missing = enforcedCallMissing(enforced.choice, called, event.delta.stop_reason, enforced.where);
        if (missing !== undefined) {
          failed = true;
          sink.event(toAnthropicError(500, "api_error", missing));
          return;
        }
      }
      sink.event(event);
    },
    flush: () => sink.flush(),
    end: () => sink.end(),
    error: (reason) => sink.error(reason),
  };
}

/** The same check on a whole answer: the client's error, or undefined when the answer keeps the promise. */
export function missingEnforcedCall(message: AnthropicMessage, enforced: EnforcedCall): string | undefined {
  const called = message.content.flatMap((block) => (block.type === "tool_use" ? [block.name] : []));
  return enforcedCallMissing(enforced.choice, called, message.stop_reason, enforced.where);
}
