import type { Readable } from "node:stream";
import type { AnthropicErrorType } from "../translate/anthropic-types.js";
import { driveStreamTranslator, type DriveOptions, type TranslationSink } from "../translate/stream/drive-stream-translator.js";
import { createEventStreamFeeder } from "../translate/stream/parse-openai-sse.js";
import type { StreamSignal } from "../translate/stream/stream-types.js";
import { gateAnswerBody, type AnswerBodyGate } from "./gate-answer-body.js";

/** Where the pump's events go (the driver's sink). */
export type AnswerSink = TranslationSink;

/** The backend's answer, headers in. */
export interface AnswerSource {
  /** The backend's SSE body, as node:http gives it. */
  body: Readable;
  /** A read failure of the body as the error the client is told (classified by the caller: refusal.ts). */
  readFailure(error: unknown): { type: AnthropicErrorType; message: string };
  /** Told of every piece of the body (keepalive comments too): the backend is alive. */
  onBytes?: (() => void) | undefined;
  /** Told of each comment line of the body (a server's prefill progress). */
  onComment?: ((comment: string) => void) | undefined;
}

export interface AnswerPumpOptions extends DriveOptions {
  /** A `ping` goes into the translator after this long without a part from the backend. */
  pingIntervalMs: number;
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
 * step as each piece of the body arrives: one `data` listener feeding the SSE parser
 * (createEventStreamFeeder) and the driver (driveStreamTranslator, which the exported web translator
 * runs too), no web stream and no promise per token (each web stream stage cost every token a round
 * of promises, and ~25 µs to build in Node 20). Pings, the answer's end at `message_stop` and the
 * translator's `terminate()` are the driver's; here, the body:
 *
 * - its end: the parser's rest, then the driver's finish; a read failure: an `upstream-error` signal
 *   with the source's `readFailure` instead;
 * - the answer complete before the body ended: the rest is read to its end, unwatched (a kept-alive
 *   connection is then free for the next request); ended early (a stop sequence, a failure, a client
 *   gone): the body is destroyed, which stops the generation upstream.
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
  let body: Readable | undefined;
  let gate: AnswerBodyGate | undefined;
  let sourceDone = false;
  const driver = driveStreamTranslator(options, sink, {
    hold: () => gate?.hold(),
    drain: () => {
      if (!sourceDone) body?.resume();
    },
    letGo: () => {
      if (sourceDone) return;
      sourceDone = true;
      body?.destroy();
    },
  });
  return {
    attach(source) {
      if (sourceDone || driver.closed) {
        source.body.destroy();
        return false;
      }
      body = source.body;
      const bodyGate = gateAnswerBody(body, { now: options.now ?? (() => performance.now()) });
      gate = bodyGate;
      const feeder = createEventStreamFeeder({ enqueue: driver.part }, { onBytes: source.onBytes, onComment: source.onComment }, options.maxEventChars);
      const finish = (signal?: StreamSignal): void => {
        if (sourceDone) return;
        sourceDone = true;
        if (!signal) feeder.finish();
        driver.finish(signal);
      };
      body.on("data", (chunk: Buffer) => {
        if (sourceDone || driver.closed) return;
        feeder.feed(chunk);
        driver.flush();
        if (!driver.closed) bodyGate.afterPiece();
      });
      body.once("end", () => finish());
      body.once("error", (error) => {
        if (!sourceDone) finish({ type: "upstream-error", error: source.readFailure(error) });
      });
      // Destroyed without an error of its own (its request was ended under it): nothing more comes.
      body.once("close", () => {
        if (!sourceDone) finish({ type: "upstream-error", error: source.readFailure(Object.assign(new Error("other side closed"), { code: "ECONNRESET" })) });
      });
      return true;
    },
    fail(error) {
      if (driver.closed) return;
      sourceDone = true;
      driver.fail(error);
    },
    resume() {
      if (!sourceDone) gate?.release();
    },
    cancel: driver.cancel,
  };
}
