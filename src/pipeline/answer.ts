/**
 * The answer step: the backend's answer read and answered as the client asked — streamed, collected
 * from a stream, or whole — and the request's log line, metrics and learned rates written once when
 * it ends.
 */
import { FastResponse } from "srvx";
import { readChatCompletion } from "../backends/read-chat-completion.js";
import type { RuntimeBackend } from "../backends/resolve-backends.js";
import { upstreamBody } from "../backends/upstream-body.js";
import { BackendError } from "../backends/backend-error.js";
import type { OpenAIChatRequest } from "../translate/openai-types.js";
import { learnFromRequest } from "../observe/learn-from-request.js";
import { describeServer } from "../observe/measured-server.js";
import { formatRequestLog } from "../observe/request-log.js";
import { observeAnswer, onceEnded } from "../observe/request-record.js";
import { settledWithin } from "../shared/settled-within.js";
import type { AnthropicErrorType, AnthropicMessage, AnthropicStreamEvent } from "../translate/anthropic-types.js";
import { collectStreamMessage } from "../translate/stream/collect-stream-message.js";
import { convertOpenAIResponse } from "../translate/convert-openai-response.js";
import { extractJsonContent } from "../translate/extract-json-text.js";
import { replyCallsAsText } from "../translate/tool-calls/reply-tool.js";
import { answerOptions, sinkFor, sourceOf } from "./answer-pump-options.js";
import { callBackend, type Upstream } from "./call-backend.js";
import { missingEnforcedCall } from "./answer-checks/check-enforced-call.js";
import { keepForcedCall, type ForcedCall, type ForcedCallOutcome } from "./answer-checks/keep-forced-call.js";
import { retryUnknownCalls } from "./answer-checks/retry-unknown-calls.js";
import { retryEchoedResults } from "./answer-checks/retry-echoed-results.js";
import { retryInvalidJson } from "./answer-checks/retry-invalid-json.js";
import { retryWholeFileAsk, writeWholeFile } from "./answer-checks/whole-file-writes.js";
import type { AnsweringCall } from "./plan-local-call.js";
import { pumpAnswer, startAnswer, type AnswerSink, type AnswerSource } from "./pump-answer.js";
import { classifyFailure, describeFailure, errorEventOf, refusal, streamedFailure, type Refusal } from "./refusal.js";
import type { RequestScope } from "./request-scope.js";
import { messageResponse, streamSSE } from "./sse-response.js";
import type { PrefillProgress } from "../observe/read-prefill-progress.js";
import { toAnthropicError } from "../translate/anthropic-error.js";

/**
 * The backend's answer read: streamed to the client (begun before the backend answers when it takes
 * longer than a ping interval: the client sees pings meanwhile), collected from a stream, or whole.
 */
export async function readAnswer(scope: RequestScope, call: AnsweringCall, calling: Promise<Upstream>): Promise<Response | Refusal> {
  const checked = checkedWhole(call);
  if (call.clientStream && call.streamUpstream && !checked)
    return streamAnswer(scope, call, { upstream: await settledWithin(calling, scope.server.pingIntervalMs), calling });
  const upstream = await calling;
  const end = endOfCall(scope, call, upstream);
  return call.streamUpstream && !checked ? collectStreamedAnswer(scope, call, upstream, end) : answerWhole(scope, call, upstream, end);
}

/** mallex reads the answer whole before the client sees it: a forced call checked, a call of a tool not offered asked again, a file's rewrite made its Write, a tool's message kept out of a file, a JSON file kept parsable. */
const checkedWhole = (call: AnsweringCall): boolean =>
  call.forced !== undefined ||
  call.unknownCalls !== undefined ||
  call.wholeFile !== undefined ||
  call.fileAsked !== undefined ||
  call.echoedResults !== undefined ||
  call.invalidJson !== undefined;

/**
 * A streamed answer: `upstream` is the backend's answer when it came within a ping interval. When it
 * took longer (the request waited its turn in the queue, or for its model server to load), the answer
 * begins without it and pings until `calling` brings it, as during a long prefill; a failure then is
 * the stream's `error` event.
 */
function streamAnswer(
  scope: RequestScope,
  call: AnsweringCall,
  { upstream, calling }: { upstream: Upstream | undefined; calling: Promise<Upstream> },
): Response {
  const { server, signal } = scope;
  let end: ((error?: string) => void) | undefined;
  signal.addEventListener("abort", () => end?.("client disconnected"), { once: true });
  const observe = observeAnswer(call.record, (error) => end?.(error));
  const arrived = (answer: Upstream): AnswerSource => {
    end = endOfCall(scope, call, answer);
    return sourceOf(answer, readFailureOf(scope), prefilledFor(scope));
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

/**
 * A local call streamed from the backend (so that mallex can stop it at a stop sequence) but answered
 * in one piece: the stream's events collected into the message, or its error. `end` writes the
 * request's log line.
 */
async function collectStreamedAnswer(scope: RequestScope, call: AnsweringCall, upstream: Upstream, end: (error?: string) => void): Promise<Response | Refusal> {
  const collected = await collectStream(scope, call, upstream, { end });
  end();
  return "refusal" in collected ? collected.refusal : FastResponse.json(collected.message);
}

/**
 * The backend's streamed answer collected into one message, its events observed into the request's
 * metrics; or the refusal its failure makes. `endOfStream` is told when the stream ends (the request's
 * end, unless mallex goes on with the message), `end` when the client goes away.
 */
async function collectStream(
  scope: RequestScope,
  call: AnsweringCall,
  upstream: Upstream,
  { end, endOfStream = end }: { end: (error?: string) => void; endOfStream?: () => void },
): Promise<{ message: AnthropicMessage } | { refusal: Refusal }> {
  scope.signal.addEventListener("abort", () => end("client disconnected"), { once: true });
  const observe = observeAnswer(call.record, endOfStream);
  const events: AnthropicStreamEvent[] = [];
  let translatorFailed: string | undefined;
  // A read failure (the connection broke mid-answer) keeps its one classification, status and retry included.
  let broke: Refusal | undefined;
  const failed = readFailureOf(scope, (reply) => (broke = reply));
  await new Promise<void>((resolve) => {
    const collect: AnswerSink = {
      event(event) {
        events.push(event);
        observe(event);
      },
      flush: () => true,
      end: resolve,
      error(reason) {
        translatorFailed = `mallex failed on this answer: ${reason instanceof Error ? reason.message : String(reason)}`;
        events.push(toAnthropicError(500, "api_error", translatorFailed));
        resolve();
      },
    };
    pumpAnswer(
      {
        ...answerOptions(call, { pingIntervalMs: scope.server.pingIntervalMs, now: scope.server.deps.now }),
        ...sourceOf(upstream, failed, prefilledFor(scope)),
      },
      sinkFor(call, collect),
    );
  });
  const collected = collectStreamMessage(events);
  if (collected.ok) return { message: collected.message };
  if (broke !== undefined) return { refusal: broke };
  // mallex's own failure is its 500. Otherwise the server failed mid-answer — an error chunk, a malformed
  // one, or its end before a finish (mlx-lm's HTTP/1.0 stream ends so when it fails: only the missing
  // finish tells) — which is the backend failure table's "broke mid-answer": 502, worth a retry.
  if (translatorFailed !== undefined) return { refusal: refusal(500, translatorFailed, { type: "api_error", retry: false }) };
  return { refusal: refusal(502, collected.error.message, { type: "api_error", retry: true }) };
}

/**
 * A local call asked of the backend in one piece (a forced tool call the server does not enforce is
 * checked whole, and asked again until it is made; so is a call to a tool that is not offered, with
 * tools.retry_unknown_calls; with tools.whole_file_writes, a file rewritten in a code block becomes
 * its Write): the message, or replayed as a stream when the client asked for one.
 * `end` writes the request's log line.
 */
async function answerWhole(scope: RequestScope, call: AnsweringCall, upstream: Upstream, end: (error?: string) => void): Promise<Response | Refusal> {
  const { route, record, translateContext, forced, unknownCalls } = call;
  const backend = scope.server.backends[route.profile.backend]!;
  let converted: AnthropicMessage;
  try {
    // Streamed, the answer can be stopped where it falls into a loop; its events were observed into the metrics as they came.
    if (call.streamUpstream) {
      const collected = await collectStream(scope, call, upstream, { end, endOfStream: () => undefined });
      if ("refusal" in collected) {
        end();
        return collected.refusal;
      }
      converted = collected.message;
    } else converted = convertOpenAIResponse(await readChatCompletion(upstream.response, backend, translateContext.maxTokens), translateContext);
    if (forced !== undefined) {
      upstream.release(); // the first answer is read whole: its backend slot goes to a retry
      const kept = await keepForcedAnswer(scope, call, { backend, forced, first: converted });
      if (!kept.ok) {
        end(kept.message);
        // Not the client's mistake, and asking again is what mallex already did: no SDK retry.
        return refusal(500, kept.message, { type: "api_error", retry: false });
      }
      converted = kept.message;
    } else if (unknownCalls !== undefined) {
      upstream.release();
      converted = await retryUnknownCalls(converted, unknownCalls, askWhole(scope, call, backend, "unknown-call"), logFor(scope, call));
    }
    if (call.fileAsked !== undefined) {
      upstream.release();
      converted = await retryWholeFileAsk(converted, call.fileAsked, askWhole(scope, call, backend), logFor(scope, call));
    }
    if (call.echoedResults !== undefined) {
      upstream.release();
      converted = await retryEchoedResults(converted, call.echoedResults, askWhole(scope, call, backend), { log: logFor(scope, call), record });
    }
    if (call.invalidJson !== undefined) {
      upstream.release();
      converted = await retryInvalidJson(converted, call.invalidJson, askWhole(scope, call, backend), logFor(scope, call));
    }
    if (call.wholeFile !== undefined) {
      const id = () => scope.server.deps.generateId("toolu");
      converted = writeWholeFile(converted, call.wholeFile, { id, record, renamed: call.fileAsked?.asked.rename });
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
  const replied = call.replyTool === true ? replyCallsAsText(converted) : converted;
  const message = call.wantsJson ? { ...replied, content: extractJsonContent(replied.content) } : replied;
  // Collected from the stream, the events gave the counts and the first token's time; a Write made of the answer changes its stop.
  record.happened({ type: "answered-whole", message, streamed: call.streamUpstream });
  end();
  return messageResponse(message, call.clientStream);
}

/** The first answer when it makes the forced call, else the model asked again, each retry a whole generation of its own backend slot. */
function keepForcedAnswer(
  scope: RequestScope,
  call: AnsweringCall,
  { backend, forced, first }: { backend: RuntimeBackend; forced: ForcedCall; first: AnthropicMessage },
): Promise<ForcedCallOutcome> {
  return keepForcedCall(first, forced, askWhole(scope, call, backend, "forced-call"), logFor(scope, call));
}

/**
 * A retry: one generation in its own backend slot, read whole, counted in the request's metrics under
 * `counted`. Streamed when the first answer was, so that what mallex stops a streamed answer at (a
 * loop: stop_repeats; a stop sequence) stops the retry too: a retry read in one piece once decoded a
 * call written over and over to max_output_tokens, minutes at a small machine's speed.
 */
function askWhole(
  scope: RequestScope,
  call: AnsweringCall,
  backend: RuntimeBackend,
  counted?: "forced-call" | "unknown-call",
): (request: OpenAIChatRequest) => Promise<AnthropicMessage> {
  return async (request) => {
    if (counted !== undefined) call.record.happened({ type: "retried", why: counted });
    const streamed = call.streamUpstream;
    const body = upstreamBody(streamed ? request : wholeGeneration(request));
    const retry = await callBackend(scope, call.route.profile, body, { streamed, poolSession: call.poolSession, queueSession: call.queueSession });
    try {
      if (streamed) return await collectRetry(scope, call, retry);
      return convertOpenAIResponse(await readChatCompletion(retry.response, backend, call.translateContext.maxTokens), call.translateContext);
    } finally {
      retry.release();
    }
  };
}

/** A request asked for in one piece. */
function wholeGeneration(request: OpenAIChatRequest): OpenAIChatRequest {
  const { stream_options: _unused, ...rest } = request;
  return { ...rest, stream: false };
}

/**
 * A retry's streamed answer collected into its message, through the translator the first answer went
 * through; a failure is thrown as readChatCompletion throws it: the backend's error as classified, or
 * a stream that ended before its finish as a broken answer.
 */
async function collectRetry(scope: RequestScope, call: AnsweringCall, upstream: Upstream): Promise<AnthropicMessage> {
  const events: AnthropicStreamEvent[] = [];
  let failure: unknown;
  await new Promise<void>((resolve) => {
    const collect: AnswerSink = {
      event: (event) => void events.push(event),
      flush: () => true,
      end: resolve,
      error(reason) {
        failure = reason;
        resolve();
      },
    };
    // The error is thrown below and classified once, by whoever catches it; the event only ends the translation.
    const readFailure = (error: unknown) => {
      failure = error;
      return { type: "api_error" as const, message: "the backend's answer broke" };
    };
    pumpAnswer(
      { ...answerOptions(call, { pingIntervalMs: scope.server.pingIntervalMs, now: scope.server.deps.now }), ...sourceOf(upstream, readFailure) },
      collect,
    );
  });
  if (failure !== undefined) throw failure;
  const collected = collectStreamMessage(events);
  if (collected.ok) return collected.message;
  const backend = scope.server.backends[call.route.profile.backend]!;
  throw new BackendError("broken", collected.error.message, { backend: backend.name, url: upstream.response.url });
}

/** A line of the request's own, before its log line: a retry asked for. */
const logFor = (scope: RequestScope, call: AnsweringCall) => (line: string) => scope.log(`${call.routeLabel} · ${line}`);

/** The request's log line, metrics and learned rates, once, when it ends; its backend slot freed then. */
function endOfCall(scope: RequestScope, call: AnsweringCall, upstream: Upstream): (error?: string) => void {
  const { ttft } = scope.server;
  call.record.happened({ type: "sent", server: upstream.server, queuedMs: upstream.queuedMs, loadingMs: upstream.loadingMs, sentAt: upstream.sentAt });
  return onceEnded(call.record, (m) => {
    upstream.release();
    scope.log(formatRequestLog(m));
    if (ttft) {
      const backend = scope.server.backends[call.route.profile.backend];
      learnFromRequest(ttft, call.route.profile, m, call.prompt, backend && describeServer(backend));
    }
  });
}

/** Where the request's prefill progress goes: the dashboard, which shows it while Claude Code waits (absent: no dashboard). */
function prefilledFor(scope: RequestScope): ((progress: PrefillProgress) => void) | undefined {
  const feed = scope.server.dashboard?.feed;
  return feed === undefined ? undefined : (progress) => feed.requestProgress(scope.id, progress);
}

/** A read failure of the answer's body as its error event, classified once (refusal.ts); `keep` is told the whole refusal. */
function readFailureOf(scope: RequestScope, keep?: (reply: Refusal) => void): (error: unknown) => { type: AnthropicErrorType; message: string } {
  return (error) => {
    const reply = classifyFailure(error, scope);
    keep?.(reply);
    return errorEventOf(reply);
  };
}
