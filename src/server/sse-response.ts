import type { Writable } from "node:stream";
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
 * An SSE response fed by a pump as the backend answers. Its body is a source with only `pipe`,
 * which srvx pipes into node:http's response as it is (or into a PassThrough where a web Response
 * is wanted): the pump starts then, writes the events of each piece of the backend's body in one
 * write, ends the response with the last ones in the same write, is held while the socket's buffer
 * is full, and is cancelled by a client that hangs up. Every write to the client socket wakes the
 * client: on loopback the writes, not the bytes, are what a short answer costs.
 */
export function streamSSE(start: (sink: AnswerSink) => AnswerPump, log?: EventLog): Response {
  const body = {
    pipe<T extends Writable>(destination: T): T {
      let held = "";
      let ended = false;
      const pump = start({
        event(event) {
          held += formatSSE(event);
          log?.observe(event);
        },
        flush() {
          if (held === "") return true;
          const text = held;
          held = "";
          return destination.write(text);
        },
        end() {
          ended = true;
          destination.end(held);
          held = "";
          log?.end();
        },
        error(reason) {
          ended = true;
          destination.destroy(reason instanceof Error ? reason : new Error(String(reason)));
          log?.end();
        },
      });
      destination.on("drain", () => pump.resume());
      destination.once("close", () => {
        if (!ended) pump.cancel();
      });
      return destination;
    },
  };
  // srvx takes any source with `pipe` (its NodeResponse body check); the web types do not name one.
  return new FastResponse(body as unknown as ConstructorParameters<typeof FastResponse>[0], { headers: SSE_HEADERS });
}

/** Events already known (a whole answer replayed as a stream), as an SSE response. */
export function replaySSE(events: Iterable<AnthropicStreamEvent>): Response {
  return new FastResponse(Readable.from([Array.from(events, formatSSE).join("")]), { headers: SSE_HEADERS });
}
