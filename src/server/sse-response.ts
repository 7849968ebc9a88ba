import { Readable } from "node:stream";
import { FastResponse } from "srvx";
import type { AnthropicStreamEvent } from "../translate/anthropic-types.js";
import { formatSSE } from "../translate/format-sse.js";
import type { AnswerPump, AnswerSink } from "./pump-answer.js";

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" } as const;

/** Told of each event once it is on its way, and of the answer's end. */
export interface EventLog {
  observe(event: AnthropicStreamEvent): void;
  end(): void;
}

/**
 * An SSE response fed by a pump as the backend answers. The body is a node Readable, which the
 * server pipes to the socket as it is (no web stream); the pump is held while the socket's buffer is
 * full and resumed when it drains, and a client that hangs up cancels it.
 */
export function streamSSE(start: (sink: AnswerSink) => AnswerPump, log?: EventLog): Response {
  let pump: AnswerPump | undefined;
  const body = new Readable({
    read: () => pump?.resume(),
    destroy(error, callback) {
      pump?.cancel();
      callback(error);
    },
  });
  pump = start({
    event(event) {
      const more = body.push(formatSSE(event));
      log?.observe(event);
      return more;
    },
    end() {
      body.push(null);
      log?.end();
    },
    error(reason) {
      body.destroy(reason instanceof Error ? reason : new Error(String(reason)));
      log?.end();
    },
  });
  return new FastResponse(body, { headers: SSE_HEADERS });
}

/** Events already known (a whole answer replayed as a stream), as an SSE response. */
export function replaySSE(events: Iterable<AnthropicStreamEvent>): Response {
  return new FastResponse(Readable.from(Array.from(events, formatSSE)), { headers: SSE_HEADERS });
}
