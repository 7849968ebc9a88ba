import type { Readable } from "node:stream";
import { BackendError } from "../backends/backend-error.js";
import type { AnthropicErrorType, AnthropicStreamEvent } from "../translate/anthropic-types.js";
import { createEventStreamFeeder } from "../translate/parse-openai-sse.js";
import { gateAnswerBody, type AnswerBodyGate } from "./gate-answer-body.js";
import type { StreamSignal, StreamTransformer, TranslatorInput } from "../translate/stream-types.js";

/** Where the pump's events go. */
export interface AnswerSink {
  /** One event, held until `flush` or `end`. */
  event(event: AnthropicStreamEvent): void;
  /**
   * The events so far go out: called once per piece of the backend's body (and per ping), so the
   * events one piece makes are written together. False asks the pump to hold the backend's body
   * until {@link AnswerPump.resume}.
   */
  flush(): boolean;
  /** After the last event (the held ones go out with it); called once, unless `error` is. */
  end(): void;
  /** The translator itself failed: the answer cannot be completed. Called once, instead of `end`. */
  error(reason: unknown): void;
}

/** The backend's answer, headers in. */
export interface AnswerSource {
  /** The backend's SSE body, as node:http gives it. */
  body: Readable;
  /** What a read failure of the body means (ChatCompletionResponse.bodyError). */
  bodyError(error: unknown): unknown;
  /** Told of every piece of the body (keepalive comments too): the backend is alive. */
  onBytes?: (() => void) | undefined;
}

export interface AnswerPumpOptions {
  /** A `ping` goes into the translator after this long without a part from the backend. */
  pingIntervalMs: number;
  /** The Anthropic stream translator (createAnthropicStreamTransformer). */
  transformer: StreamTransformer<TranslatorInput, AnthropicStreamEvent>;
  /** The longest line or event of the body taken (MAX_SSE_EVENT_CHARS by default; see streamEventCharsFor). */
  maxEventChars?: number;
  /** The clock the pump's time slices are measured with (gateAnswerBody); performance.now by default. */
  now?: () => number;
}

export interface AnswerPump {
  /** The sink can take more: the backend's body flows again. */
  resume(): void;
  /** The sink is gone (the client hung up): the backend's body is let go, which ends its request. */
  cancel(): void;
}

/** An answer begun before its backend answered (startAnswer): pings go out until one of these. */
export interface PendingAnswer extends AnswerPump {
  /**
   * The backend answered: its body flows into the answer. False when the answer is already over (the
   * client went away, or the answer failed): the body is let go at once, and the caller ends the request.
   */
  attach(source: AnswerSource): boolean;
  /** The backend could not be reached: the answer ends with this error event. */
  fail(error: { type: AnthropicErrorType; message: string }): void;
}

/**
 * The backend's SSE body → parsed chunks → the translator → `sink`, pushed through in the same
 * step as each piece of the body arrives: one `data` listener, no web stream and no promise per
 * token (each web stream stage cost every token a round of promises, and ~25 µs to build in Node
 * 20). The translator's input and ending are the ones a TransformStream would give it:
 *
 * - a `ping` signal after `pingIntervalMs` without a part (a long prefill), so the client sees life;
 * - `message_stop` (or an `error` event) out: `sink.end()` then, without waiting for the body's end
 *   (mlx-lm closes its connection after `[DONE]`; a kept-alive one is read to its end, unwatched);
 * - the body's end: the parser's rest, then the translator's `flush`, then `sink.end()`;
 * - a read failure: an `upstream-error` signal (timeout or network), then the translator's `flush` and `sink.end()`;
 * - the translator's `terminate()` (a stop sequence, a failure it reported): `sink.end()` at once
 *   and the body let go, which stops the generation upstream.
 *
 * Backpressure: a sink whose `flush` returns false pauses the body (the upstream client's silence
 * limit does not run while it is paused) until `resume()`. A body read for longer than a time slice
 * in one turn of the event loop is paused until the next turn too (gateAnswerBody), so that a
 * backend flooding the proxy with tiny events does not hold every other request.
 */
export function pumpAnswer(options: AnswerPumpOptions & AnswerSource, sink: AnswerSink): AnswerPump {
  const answer = startAnswer(options, sink);
  answer.attach(options);
  return answer;
}

/**
 * The answer begins now (`message_start`, then a `ping` every `pingIntervalMs`) and the backend's
 * body joins it when it comes: a request that waits for its turn in a backend's queue, or for its
 * model server to load, shows life to the client the way a long prefill does.
 */
export function startAnswer(options: AnswerPumpOptions, sink: AnswerSink): PendingAnswer {
  const { transformer } = options;
  let body: Readable | undefined;
  let gate: AnswerBodyGate | undefined;
  let closed = false;
  let sourceDone = false;
  // message_stop (or an error event) went out: the answer is complete, whatever the body still holds.
  let complete = false;
  let ping: NodeJS.Timeout | undefined;

  const letGo = (): void => {
    if (sourceDone) return;
    sourceDone = true;
    body?.destroy();
  };
  const close = (failure?: { reason: unknown }): void => {
    if (closed) return;
    closed = true;
    clearInterval(ping);
    // Read to its end, unwatched: a kept-alive connection is then free for the next request.
    if (!sourceDone) body?.resume();
    if (failure) sink.error(failure.reason);
    else sink.end();
  };
  const controller: TransformStreamDefaultController<AnthropicStreamEvent> = {
    desiredSize: 1,
    enqueue(event) {
      if (closed) return;
      sink.event(event!);
      if (event!.type === "message_stop" || event!.type === "error") complete = true;
    },
    error(reason) {
      close({ reason });
      letGo();
    },
    terminate() {
      close();
      letGo();
    },
  };
  const run = (step: () => void): void => {
    try {
      step();
    } catch (error) {
      controller.error(error);
    }
  };
  const flush = (): void => {
    if (closed) return;
    if (complete) return close();
    if (!sink.flush()) gate?.hold();
  };
  const input = (part: TranslatorInput): void => {
    if (!closed) run(() => transformer.transform?.(part, controller));
  };
  const armPing = (): void => {
    // Moved on every part (each token): one timer refreshed, not one per token.
    if (ping === undefined)
      ping = setInterval(() => {
        input({ type: "ping" });
        flush();
      }, options.pingIntervalMs);
    else ping.refresh();
  };
  run(() => transformer.start?.(controller));
  if (closed) letGo();
  else {
    armPing();
    flush();
  }
  return {
    attach(source) {
      if (sourceDone || closed) {
        source.body.destroy();
        return false;
      }
      body = source.body;
      const bodyGate = gateAnswerBody(body, { now: options.now ?? (() => performance.now()) });
      gate = bodyGate;
      const feeder = createEventStreamFeeder(
        {
          enqueue(part) {
            if (closed) return;
            armPing();
            input(part);
          },
        },
        { onBytes: source.onBytes },
        options.maxEventChars,
      );
      const finish = (signal?: StreamSignal): void => {
        if (sourceDone) return;
        sourceDone = true;
        if (signal) input(signal);
        else feeder.finish();
        if (!closed) run(() => transformer.flush?.(controller));
        close();
      };
      body.on("data", (chunk: Buffer) => {
        if (sourceDone || closed) return;
        feeder.feed(chunk);
        flush();
        if (!closed) bodyGate.afterPiece();
      });
      body.once("end", () => finish());
      body.once("error", (error) => {
        if (!sourceDone) finish(failureSignal(source.bodyError(error)));
      });
      // Destroyed without an error of its own (its request was ended under it): nothing more comes.
      body.once("close", () => {
        if (!sourceDone) finish(failureSignal(source.bodyError(Object.assign(new Error("other side closed"), { code: "ECONNRESET" }))));
      });
      return true;
    },
    fail(error) {
      if (closed) return;
      sourceDone = true;
      sink.event({ type: "error", error });
      close();
    },
    resume() {
      if (!sourceDone) gate?.release();
    },
    cancel() {
      closed = true;
      clearInterval(ping);
      letGo();
    },
  };
}

/** A read failure as the translator's `upstream-error` signal. */
function failureSignal(error: unknown): StreamSignal {
  if (BackendError.isInstance(error)) return { type: "upstream-error", kind: error.failure === "timeout" ? "timeout" : "network", message: `${error.message}.` };
  return { type: "upstream-error", kind: "network", message: `The connection to the model server broke: ${error instanceof Error ? error.message : String(error)}` };
}
