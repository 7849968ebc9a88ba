import { answerOptions, sinkFor, sourceOf } from "./answer-pump-options.js";
import type { Upstream } from "./call-backend.js";
import { describeFailure, streamedFailure } from "./describe-failure.js";
import { endOfCall } from "./end-of-call.js";
import type { AnsweringCall } from "./plan-local-call.js";
import { pumpAnswer, startAnswer, type AnswerSource } from "./pump-answer.js";
import { createEventObserver } from "../observe/request-log.js";
import type { RequestScope } from "./request-scope.js";
import { streamSSE } from "./sse-response.js";

/**
 * A streamed answer: `upstream` is the backend's answer when it came within a ping interval. When it
 * took longer (the request waited its turn in the queue, or for its model server to load), the answer
 * begins without it and pings until `calling` brings it, as during a long prefill; a failure then is
 * the stream's `error` event.
 */
export function streamAnswer(
  scope: RequestScope,
  call: AnsweringCall,
  { upstream, calling }: { upstream: Upstream | undefined; calling: Promise<Upstream> },
): Response {
  const { server, signal } = scope;
  let end: ((error?: string) => void) | undefined;
  signal.addEventListener("abort", () => end?.("client disconnected"), { once: true });
  const observe = createEventObserver(call.metrics, server.deps.now, (error) => end?.(error));
  const arrived = (answer: Upstream): AnswerSource => {
    end = endOfCall(scope, call, answer);
    return sourceOf(answer);
  };
  const log = { observe, end: () => end?.() };
  const clock = { pingIntervalMs: server.pingIntervalMs, now: server.deps.now };
  if (upstream !== undefined) return streamSSE((sink) => pumpAnswer({ ...answerOptions(call, clock), ...arrived(upstream) }, sinkFor(call, sink)), log);
  return streamSSE((sink) => {
    const answer = startAnswer(answerOptions(call, clock), sinkFor(call, sink));
    calling.then(
      (connected) => {
        // Over before the backend answered (the client went away): its slot and lease go back now.
        if (!answer.attach(arrived(connected))) end!(signal.aborted ? "client disconnected" : "the answer ended before the backend answered");
      },
      (error: unknown) => answer.fail(streamedFailure(describeFailure(error, scope, call.routeLabel))),
    );
    return answer;
  }, log);
}
