/**
 * A server that refuses the readiness test is stopped, and the start's error quotes the reason from
 * its output. It has usually printed that before it answered, but not always: mlx.launch relays its
 * ranks' lines a moment after rank 0's HTTP server has answered "generation thread died" (longer on a
 * loaded machine), and a launcher stopped in that moment dies with the lines unrelayed; no drain after
 * the stop brings them back. Nor is the first error line the whole of it: the traceback whose last
 * line names the exception may come in a later piece (mlx.launch relays what it reads, 8 KB at a
 * time, as it reads it). So the server is stopped once its output has an error line and then falls
 * quiet, or it has exited by itself (a launcher does once a rank is gone), or the wait is over.
 */
import type { SupervisorDeps } from "./supervisor-deps.js";

export interface ReasonWaitOptions {
  /** Whether a line says why the server refused. */
  saysWhy: (line: string) => boolean;
  /** Settles when the server has exited and its output is drained. */
  exited: Promise<unknown>;
  /** The longest wait. */
  waitMs: number;
  /** How long the server must be silent after a line that says why. */
  quietMs: number;
}

export interface ReasonWait {
  /** Told each line the server prints. */
  onLine(line: string): void;
  /**
   * Resolves once a line of `recent` or a later one says why and no line has come for `quietMs`
   * since, when `exited` settles, or after `waitMs`. Each line is looked at once: a server that
   * prints fast (lines of up to 64 KB) is not read again for every line it adds.
   */
  until(recent: readonly string[], options: ReasonWaitOptions): Promise<void>;
}

export function createReasonWait(deps: Pick<SupervisorDeps, "setTimeout" | "clearTimeout">): ReasonWait {
  let check: ((line: string) => void) | undefined;
  return {
    onLine: (line) => check?.(line),
    until: (recent, { saysWhy, exited, waitMs, quietMs }) =>
      new Promise<void>((resolve) => {
        let quiet: unknown;
        const done = () => {
          check = undefined;
          deps.clearTimeout(timer);
          deps.clearTimeout(quiet);
          resolve();
        };
        const timer = deps.setTimeout(done, waitMs);
        // Once a line has said why, every line restarts the quiet.
        const hear = () => {
          deps.clearTimeout(quiet);
          quiet = deps.setTimeout(done, quietMs);
        };
        check = (line) => {
          if (quiet !== undefined || saysWhy(line)) hear();
        };
        if (recent.some(saysWhy)) hear();
        void exited.then(done);
      }),
  };
}
