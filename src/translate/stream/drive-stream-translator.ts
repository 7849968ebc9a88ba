import type { AnthropicErrorType, AnthropicStreamEvent } from "../anthropic-types.js";
import type { StreamSignal, StreamStageController, StreamTransformer, TranslatorInput } from "./stream-types.js";

/** Where the translated events go. */
export interface TranslationSink {
  /** One event, held until `flush` or `end`. */
  event(event: AnthropicStreamEvent): void;
  /**
   * The events so far go out: called once per piece of the backend's body (and per ping), so the
   * events one piece makes go out together. False: the sink is full, and the source is held.
   */
  flush(): boolean;
  /** After the last event (the held ones go out with it); called once, unless `error` is. */
  end(): void;
  /** The translator itself failed: the answer cannot be completed. Called once, instead of `end`. */
  error(reason: unknown): void;
}

/** What the driver asks of the source the parts come from (the backend's body, as node:http or a web stream gives it). */
export interface TranslationSource {
  /** The sink is full: read nothing more until the reader says it can take more. */
  hold(): void;
  /** The answer is complete: what the source still holds is read unwatched (a kept-alive connection is then free). */
  drain(): void;
  /** The answer ended before the source did (a stop sequence, a failure, a client gone): the source is let go, which stops the generation upstream. */
  letGo(): void;
}

export interface DriveOptions {
  /** The Anthropic stream translator (createAnthropicStreamTransformer). */
  transformer: StreamTransformer<TranslatorInput, AnthropicStreamEvent>;
  /** A `ping` goes into the translator after this long without a part from the backend (absent: none). */
  pingIntervalMs?: number | undefined;
}

export interface StreamTranslatorDriver {
  /** A part of the backend's answer: translated now, and the ping timer starts over. */
  part(part: TranslatorInput): void;
  /** The events so far go out (an answer that is complete ends here); false when the sink is full, and the source is held. */
  flush(): boolean;
  /** The source ended: its failure as a signal, else the translator's `flush`; then the end. */
  finish(signal?: StreamSignal): void;
  /** The answer ends with this error event, the translator left out (the backend could not be reached). */
  fail(error: { type: AnthropicErrorType; message: string }): void;
  /** The sink is gone (the client hung up): pings stop, nothing more goes out, the source is let go. */
  cancel(): void;
  /** Over: ended, failed or cancelled. */
  readonly closed: boolean;
}

/**
 * Runs the translator between a source of parts and a sink of events, in the same step as each part
 * arrives: the one pump both the server (pump-answer.ts, on node:http's body) and the exported web
 * TransformStream (createAnthropicStreamTranslator) run. What the translator writes goes to the sink
 * as a TransformStream would pass it on, and ends the way one would:
 *
 * - `message_start` and a `ping` at once (the translator's `start`), then a `ping` after
 *   `pingIntervalMs` without a part (a long prefill), so the client sees life;
 * - `message_stop` (or an `error` event) out: the sink ends at the next flush, without waiting for the
 *   source's end (mlx-lm closes its connection after `[DONE]`), and the source is drained;
 * - the source's end: the translator's `flush`, then the sink's end; its failure: the signal first;
 * - the translator's `terminate()` (a stop sequence, a failure it reported): the sink ends at once
 *   and the source is let go; a throw, or its `error()`: the sink's `error`, and the source let go.
 */
export function driveStreamTranslator(options: DriveOptions, sink: TranslationSink, source: TranslationSource): StreamTranslatorDriver {
  const { transformer, pingIntervalMs } = options;
  let closed = false;
  // message_stop (or an error event) went out: the answer is complete, whatever the source still holds.
  let complete = false;
  let ping: NodeJS.Timeout | undefined;

  const close = (failure?: { reason: unknown }): void => {
    if (closed) return;
    closed = true;
    clearInterval(ping);
    source.drain();
    if (failure) sink.error(failure.reason);
    else sink.end();
  };
  const controller: StreamStageController<AnthropicStreamEvent> = {
    enqueue(event) {
      if (closed) return;
      sink.event(event);
      if (event.type === "message_stop" || event.type === "error") complete = true;
    },
    error(reason) {
      close({ reason });
      source.letGo();
    },
    terminate() {
      close();
      source.letGo();
    },
  };
  const run = (step: () => void): void => {
    try {
      step();
    } catch (error) {
      controller.error(error);
    }
  };
  const flush = (): boolean => {
    if (closed) return true;
    if (complete) {
      close();
      return true;
    }
    if (sink.flush()) return true;
    source.hold();
    return false;
  };
  const input = (part: TranslatorInput): void => {
    if (!closed) run(() => transformer.transform?.(part, controller));
  };
  const armPing = (): void => {
    if (pingIntervalMs === undefined) return;
    // Moved on every part (each token): one timer refreshed, not one per token.
    if (ping === undefined)
      ping = setInterval(() => {
        input({ type: "ping" });
        flush();
      }, pingIntervalMs);
    else ping.refresh();
  };

  run(() => transformer.start?.(controller));
  if (closed) source.letGo();
  else {
    armPing();
    flush();
  }
  return {
    part(part) {
      if (closed) return;
      armPing();
      input(part);
    },
    flush,
    finish(signal) {
      if (signal) input(signal);
      if (!closed) run(() => transformer.flush?.(controller));
      close();
    },
    fail(error) {
      if (closed) return;
      sink.event({ type: "error", error });
      close();
    },
    cancel() {
      closed = true;
      clearInterval(ping);
      source.letGo();
    },
    get closed() {
      return closed;
    },
  };
}
