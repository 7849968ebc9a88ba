import { Readable } from "node:stream";
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
 * sends while the response makes its way through the server is translated and held. The body is a
 * node:stream Readable ({@link SseBody}), which srvx pipes into node:http's response as it is (or
 * reads as a web Response's body): the held events go out in one write once it is read, then the
 * events of each piece of the backend's body in one write, the last ones in the write that ends the
 * response. The pump is held while the body is not read (before srvx pipes it, while the socket's
 * buffer is full), and cancelled by a client that hangs up (the body is destroyed under it). Every
 * write to the client socket wakes the client: on loopback the writes, not the bytes, are what a
 * short answer costs.
 */
export function streamSSE(start: (sink: AnswerSink) => AnswerPump, log?: EventLog): Response {
  return new FastResponse(new SseBody(start, log), { headers: SSE_HEADERS });
}

/** What the body is piped into (node:http's response): corked around the answer's end, so that its last events and the end are one write. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

const corkable = (destination: object): destination is Corkable =>
  typeof (destination as Partial<Corkable>).cork === "function" && typeof (destination as Partial<Corkable>).uncork === "function";

/**
 * A destination corked now writes what it is given until the next turn of the event loop in one
 * write: node:http's end comes from the pipe in a tick after the last data.
 */
function corkForATurn(destination: Corkable): void {
  destination.cork();
  setImmediate(() => destination.uncork());
}

/** The SSE text of a pumped answer, as a Readable: the pump's sink on one side, srvx on the other. */
class SseBody extends Readable {
  private readonly pump: AnswerPump;
  private readonly log: EventLog | undefined;
  private held = "";
  // The log sees each event once it is on its way (its line, written when the answer ends, then
  // costs the client nothing).
  private unlogged: AnthropicStreamEvent[] = [];
  /** The reader asked for more (_read) and the buffer has room: held events are pushed at once. */
  private wanted = false;
  private ended = false;
  private destination: Corkable | undefined;

  constructor(start: (sink: AnswerSink) => AnswerPump, log: EventLog | undefined) {
    super();
    this.log = log;
    this.pump = start({
      event: (event) => {
        this.held += formatSSE(event);
        if (this.log !== undefined) this.unlogged.push(event);
      },
      flush: () => (this.wanted ? this.pushHeld() : false),
      end: () => this.finish(),
      error: (reason) => {
        this.ended = true;
        this.destroy(reason instanceof Error ? reason : new Error(String(reason)));
        this.log?.end();
      },
    });
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    if (corkable(destination)) {
      this.destination = destination;
      // Over before it was piped: what it holds and its end go out together.
      if (this.ended) corkForATurn(destination);
    }
    return super.pipe(destination, options);
  }

  /** The reader wants more: what is held goes out as one chunk, and the pump's body flows again. */
  override _read(): void {
    this.wanted = true;
    if (this.held !== "") this.pushHeld();
    this.pump.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Destroyed before the answer ended: the client went away (or its socket broke).
    if (!this.ended) this.pump.cancel();
    callback(error);
  }

  /** The held events out, as one chunk; false when the buffer is full (the pump holds the backend's body until _read). */
  private pushHeld(): boolean {
    if (this.held === "" || this.destroyed) return true;
    const text = this.held;
    this.held = "";
    this.wanted = this.push(text);
    this.logUnlogged();
    return this.wanted;
  }

  /** The last events and the end, written together (the destination corked until both are in). */
  private finish(): void {
    this.ended = true;
    if (this.destroyed) return;
    if (this.destination !== undefined) corkForATurn(this.destination);
    this.pushHeld();
    this.push(null);
    this.log?.end();
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
  return new FastResponse(Readable.from([Array.from(events, formatSSE).join("")]), { headers: SSE_HEADERS });
}
