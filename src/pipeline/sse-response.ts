import type { Writable } from "node:stream";
import { Readable } from "node:stream";
import { FastResponse } from "srvx";
import type { AnthropicStreamEvent } from "../translate/anthropic-types.js";
import { formatSSE } from "../translate/format-sse.js";
import type { AnswerPump, AnswerSink } from "./pump-answer.js";

// No `connection` header: node:http writes `Connection: keep-alive` itself, and with it `Keep-Alive:
// timeout=N`, which tells a client how long the connection may idle before the server closes it. A
// `connection` set here made node leave that out, and a keep-alive client that does not know the
// timeout reuses a connection just as the server closes it: "socket hang up" (issue 26).
const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } as const;

/** Told of each event once it is on its way, and of the answer's end. */
export interface EventLog {
  observe(event: AnthropicStreamEvent): void;
  end(): void;
}

/**
 * An SSE response fed by a pump as the backend answers. The pump starts at once: what the backend
 * sends while the response makes its way through the server is translated and held. Its body is a
 * source with only `pipe`, which srvx pipes into node:http's response as it is (or into a
 * PassThrough where a web Response is wanted): the held events go out then, and after that the
 * events of each piece of the backend's body in one write, the last ones in the write that ends the
 * response. The pump is held while the socket's buffer is full, and cancelled by a client that hangs
 * up. Every write to the client socket wakes the client: on loopback the writes, not the bytes, are
 * what a short answer costs.
 */
export function streamSSE(start: (sink: AnswerSink) => AnswerPump, log?: EventLog): Response {
  let destination: Writable | undefined;
  let held = "";
  // The log sees each event once it is written (its line, written when the answer ends, then costs
  // the client nothing).
  let unlogged: AnthropicStreamEvent[] = [];
  let ended = false;
  let failure: Error | undefined;
  const take = () => {
    const text = held;
    held = "";
    return text;
  };
  const logWritten = () => {
    if (log === undefined || unlogged.length === 0) return;
    const written = unlogged;
    unlogged = [];
    for (const event of written) log.observe(event);
  };
  const write = (): boolean => {
    if (destination === undefined || held === "") return true;
    const more = destination.write(take());
    logWritten();
    return more;
  };
  const pump = start({
    event(event) {
      held += formatSSE(event);
      if (log !== undefined) unlogged.push(event);
    },
    flush: write,
    end() {
      ended = true;
      if (destination === undefined) return;
      destination.end(take());
      logWritten();
      log?.end();
    },
    error(reason) {
      failure = reason instanceof Error ? reason : new Error(String(reason));
      destination?.destroy(failure);
      log?.end();
    },
  });
  const body = {
    pipe<T extends Writable>(to: T): T {
      destination = to;
      if (failure !== undefined) to.destroy(failure);
      else if (ended) {
        to.end(take());
        logWritten();
        log?.end();
      } else {
        to.on("drain", () => pump.resume());
        to.once("close", () => {
          if (!ended) pump.cancel();
        });
        write();
      }
      return to;
    },
  };
  // srvx takes any source with `pipe` (its NodeResponse body check); the web types do not name one.
  return new FastResponse(body as unknown as ConstructorParameters<typeof FastResponse>[0], { headers: SSE_HEADERS });
}

/** Events already known (a whole answer replayed as a stream), as an SSE response. */
export function replaySSE(events: Iterable<AnthropicStreamEvent>): Response {
  return new FastResponse(Readable.from([Array.from(events, formatSSE).join("")]), { headers: SSE_HEADERS });
}
