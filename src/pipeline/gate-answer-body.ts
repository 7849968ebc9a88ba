import type { Readable } from "node:stream";

/**
 * How long the answer pump may read a backend's body in one turn of the event loop before it lets
 * the loop go: every other request (`/health` included) waits while it reads. libuv reads a socket
 * up to 32 times a poll (about 2 MB on loopback), and a body of 4-character tool-call fragments costs
 * a JSON.parse and a translator step per ~120 bytes: read to the end of such a burst, one turn took
 * 35–55 ms and the garbage it made was collected inside it (`npm run bench:hostile`, 157 ms at worst).
 */
export const ANSWER_SLICE_MS = 8;

/** Who holds a backend's body paused: the reader (the client is slow), or the event loop's other work. */
export interface AnswerBodyGate {
  /** After each piece of the body: one that has had the loop {@link ANSWER_SLICE_MS} this turn pauses until the next. */
  afterPiece(): void;
  /** The reader cannot take more: the body stays paused until {@link release}, whatever the slicing does. */
  hold(): void;
  /** The reader can take more. */
  release(): void;
}

export interface AnswerBodyGateOptions {
  now: () => number;
  sliceMs?: number;
}

/**
 * Pauses `body` for its reader and for the event loop, and lets it flow only when neither holds it.
 * A turn begins at the first piece read in it; a `setImmediate` marks its end (the check phase comes
 * right after the poll that read the pieces), so a body that trickles costs one immediate a turn and
 * is never paused. A paused body is not a silent backend (sendUpstreamPost's silence limit is off
 * while it is paused), and node:http stops reading its socket once the body's buffer is full.
 */
export function gateAnswerBody(body: Readable, { now, sliceMs = ANSWER_SLICE_MS }: AnswerBodyGateOptions): AnswerBodyGate {
  let held = false;
  let yielding = false;
  let turnStart: number | undefined;
  const endTurn = (): void => {
    turnStart = undefined;
  };
  const flowAgain = (): void => {
    yielding = false;
    if (!held && !body.destroyed) body.resume();
  };
  return {
    afterPiece() {
      const at = now();
      if (turnStart === undefined) {
        turnStart = at;
        setImmediate(endTurn);
        return;
      }
      if (yielding || at - turnStart < sliceMs) return;
      yielding = true;
      body.pause();
      setImmediate(flowAgain);
    },
    hold() {
      held = true;
      body.pause();
    },
    release() {
      held = false;
      if (!yielding && !body.destroyed) body.resume();
    },
  };
}
