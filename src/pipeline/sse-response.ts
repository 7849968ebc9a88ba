import type { Writable } from "node:stream";
import { FastResponse } from "srvx";
import type { AnthropicMessage, AnthropicStreamEvent } from "../translate/anthropic-types.js";
import { messageToStreamEvents } from "../translate/stream/message-to-stream-events.js";
import { formatSSE } from "../translate/stream/format-sse.js";
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
 * sends while the response makes its way through the server is translated and held. The body is
 * one srvx pipes as it is ({@link SseBody}): it is handed node:http's response (or, read as a web
 * Response's body, a PassThrough) and writes into it itself: the held events in one write, then
 * the events of each piece of the backend's body in one write, the last ones with the response's
 * end. The pump is held while the destination's buffer is full, and cancelled by a client that
 * hangs up (the destination closes before the end). Every write to the client socket wakes the
 * client: on loopback the writes, not the bytes, are what a short answer costs.
 */
export function streamSSE(start: (sink: AnswerSink) => AnswerPump, log?: EventLog): Response {
  return new FastResponse(new SseBody(start, log) as unknown as ConstructorParameters<typeof FastResponse>[0], { headers: SSE_HEADERS });
}

/** What the body writes into: node:http's response, or the PassThrough srvx reads a web body from. */
type Destination = Pick<Writable, "write" | "end" | "destroy" | "once" | "on" | "writableEnded">;

/**
 * The SSE text of a pumped answer: the pump's sink on one side, the destination srvx pipes it to on
 * the other. Not a Readable: srvx pipes an object with `pipe` (and no `on`) by calling its `pipe`
 * with node:http's response, and a Readable's machinery between the two (its buffer, and the
 * pipeline srvx runs for one, with an AbortController per response) cost every short answer ~0.2 ms.
 */
class SseBody {
  private readonly pump: AnswerPump;
  private readonly log: EventLog | undefined;
  private held = "";
  // The log sees each event once it is on its way (its line, written when the answer ends, then
  // costs the client nothing).
  private unlogged: AnthropicStreamEvent[] = [];
  private destination: Destination | undefined;
  /** The destination can take more: held events are written at once. */
  private wanted = false;
  private ended = false;
  private failed = false;

  constructor(start: (sink: AnswerSink) => AnswerPump, log: EventLog | undefined) {
    this.log = log;
    this.pump = start({
      event: (event) => {
        this.held += formatSSE(event);
        if (this.log !== undefined) this.unlogged.push(event);
      },
      flush: () => (this.wanted ? this.writeHeld() : false),
      end: () => this.finish(),
      error: (reason) => {
        this.ended = true;
        this.failed = true;
        // A broken stream, not a clean end: the client must not take a cut answer for a whole one.
        this.destination?.destroy(reason instanceof Error ? reason : new Error(String(reason)));
        this.log?.end();
      },
    });
  }

  /** srvx's call, once the status and headers are written: from here the body writes into `destination`. */
  pipe<T extends Destination>(destination: T): T {
    this.destination = destination;
    if (this.failed) {
      destination.destroy(new Error("the answer failed before it was sent"));
      return destination;
    }
    if (this.ended) {
      this.endWith(destination);
      return destination;
    }
    // Closed before the answer ended: the client went away (or its socket broke).
    destination.once("close", this.abort);
    destination.on("drain", () => this.drained());
    this.drained();
    return destination;
  }

  /** The client is gone before the answer ended (srvx: a HEAD request, a web body cancelled; it calls this unbound). */
  readonly abort = (): void => {
    if (this.ended) return;
    this.ended = true;
    this.wanted = false;
    this.pump.cancel();
  };

  /** The destination can take more: what is held goes out as one write, and the pump's body flows again. */
  private drained(): void {
    this.wanted = true;
    if (this.writeHeld()) this.pump.resume();
  }

  /** The held events out, as one write; false when the destination is full (the pump holds the backend's body until it drains). */
  private writeHeld(): boolean {
    if (this.held === "" || this.destination === undefined) return true;
    const text = this.held;
    this.held = "";
    this.wanted = this.destination.write(text);
    this.logUnlogged();
    return this.wanted;
  }

  /** The last events and the end: one write (once piped; until then they are held for it). */
  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.destination !== undefined) this.endWith(this.destination);
    this.logUnlogged();
    this.log?.end();
  }

  private endWith(destination: Destination): void {
    const text = this.held;
    this.held = "";
    if (!destination.writableEnded) destination.end(text);
  }

  private logUnlogged(): void {
    if (this.log === undefined || this.unlogged.length === 0) return;
    const written = this.unlogged;
    this.unlogged = [];
    for (const event of written) this.log.observe(event);
  }
}

/** A whole message as the client asked for it: replayed as a stream's events, or as JSON. */
export function messageResponse(message: AnthropicMessage, stream: boolean): Response {
  return stream ? replaySSE(messageToStreamEvents(message)) : FastResponse.json(message);
}

/** Events already known (a whole answer replayed as a stream), as an SSE response. */
export function replaySSE(events: Iterable<AnthropicStreamEvent>): Response {
  // Its text whole: srvx writes a string in one write with its length, where a stream it pipes.
  return new FastResponse(Array.from(events, formatSSE).join(""), { headers: SSE_HEADERS });
}
