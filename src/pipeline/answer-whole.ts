import { FastResponse } from "srvx";
import { readChatCompletion } from "../backends/read-chat-completion.js";
import type { RuntimeBackend } from "../backends/resolve-backends.js";
import type { AnthropicMessage } from "../translate/anthropic-types.js";
import { convertOpenAIResponse } from "../translate/convert-openai-response.js";
import { extractJsonContent } from "../translate/extract-json-text.js";
import { messageToStreamEvents } from "../translate/message-to-stream-events.js";
import { missingEnforcedCall } from "./check-enforced-call.js";
import { callBackend, type Upstream } from "./call-backend.js";
import { refusal, type Refusal } from "./refusal.js";
import { keepForcedCall, type ForcedCall, type ForcedCallOutcome } from "./keep-forced-call.js";
import type { AnsweringCall } from "./plan-local-call.js";
import { replaySSE } from "./sse-response.js";
import type { RequestScope } from "./request-scope.js";
import type { UpstreamBody } from "../backends/upstream-body.js";

/**
 * A local call asked of the backend in one piece (a forced tool call the server does not enforce is
 * checked whole, and asked again until it is made): the message, or replayed as a stream when the
 * client asked for one. `end` writes the request's log line.
 */
export async function answerWhole(scope: RequestScope, call: AnsweringCall, upstream: Upstream, end: (error?: string) => void): Promise<Response | Refusal> {
  const { route, metrics, translateContext, forced } = call;
  const backend = scope.server.backends[route.profile.backend]!;
  let converted: AnthropicMessage;
  try {
    converted = convertOpenAIResponse(await readChatCompletion(upstream.response, backend, translateContext.maxTokens), translateContext);
    if (forced !== undefined) {
      upstream.release(); // the first answer is read whole: its backend slot goes to a retry
      const kept = await keepForcedAnswer(scope, call, { backend, forced, first: converted });
      if (!kept.ok) {
        end(kept.message);
        // Not the client's mistake, and asking again is what mallex already did: no SDK retry.
        return refusal(500, kept.message, { type: "api_error", retry: false });
      }
      converted = kept.message;
    }
  } catch (error) {
    // The client went away while the answer was read: logged once, as the request's line.
    const aborted = error instanceof Error && error.name === "AbortError";
    end(aborted ? "client disconnected" : error instanceof Error ? error.message : String(error));
    if (aborted) return refusal(499, "The client closed the request.", { retry: false });
    throw error;
  }
  const missing = call.enforced && missingEnforcedCall(converted, call.enforced);
  if (missing) {
    end(missing);
    return refusal(500, missing, { type: "api_error" });
  }
  const message = call.wantsJson ? { ...converted, content: extractJsonContent(converted.content) } : converted;
  Object.assign(metrics, {
    firstTokenAt: metrics.started,
    stopReason: message.stop_reason ?? undefined,
    outputTokens: message.usage.output_tokens,
    promptTokens: message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0),
    cachedTokens: message.usage.cache_read_input_tokens ?? 0,
  });
  end();
  return call.clientStream ? replaySSE(messageToStreamEvents(message)) : FastResponse.json(message);
}

/** The first answer when it makes the forced call, else the model asked again, each retry a whole generation of its own backend slot. */
function keepForcedAnswer(
  scope: RequestScope,
  call: AnsweringCall,
  { backend, forced, first }: { backend: RuntimeBackend; forced: ForcedCall; first: AnthropicMessage },
): Promise<ForcedCallOutcome> {
  const ask = async (body: UpstreamBody) => {
    call.metrics.forcedCallRetries = (call.metrics.forcedCallRetries ?? 0) + 1;
    const retry = await callBackend(scope, call.route.profile, body, { streamed: false, poolSession: call.poolSession, queueSession: call.queueSession });
    try {
      return convertOpenAIResponse(await readChatCompletion(retry.response, backend, call.translateContext.maxTokens), call.translateContext);
    } finally {
      retry.release();
    }
  };
  return keepForcedCall(first, forced, ask, (line) => scope.log(`${call.routeLabel} · ${line}`));
}
