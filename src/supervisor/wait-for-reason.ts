/**
 * A server that refuses the readiness test is stopped, and the start's error quotes the reason from
 * its output. It has usually printed that before it answered, but not always: mlx.launch relays its
 * ranks' lines a moment after rank 0's HTTP server has answered "generation thread died" (longer on a
 * loaded machine), and a launcher stopped in that moment dies with the lines unrelayed; no drain after
 * the stop brings them back. So the server is stopped only once its output has an error line, or it
 * has exited by itself (a launcher does once a rank is gone), or the wait is over.
 */
import type { SupervisorDeps } from "./supervisor-deps.js";

export interface ReasonWait {
  /** Told each line the server prints. */
  onLine(line: string): void;
  /**
   * Resolves at once when a line of `recent` says why (`saysWhy`), else at the first line after it
   * that does, when `exited` settles, or after `waitMs`. Each line is looked at once: a server that
   * prints fast (lines of up to 64 KB) is not read again for every line it adds.
   */
  until(recent: readonly string[], saysWhy: (line: string) => boolean, exited: Promise<unknown>, waitMs: number): Promise<void>;
}

export function createReasonWait(deps: Pick<SupervisorDeps, "setTimeout" | "clearTimeout">): ReasonWait {
  let check: ((line: string) => void) | undefined;
  return {
    onLine: (line) => check?.(line),
    until: (recent, saysWhy, exited, waitMs) =>
      recent.some(saysWhy)
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const done = () => {
              check = undefined;
              deps.clearTimeout(timer);
              resolve();
            };
            const timer = deps.setTimeout(done, waitMs);
            check = (line) => {
              if (saysWhy(line)) done();
            };
            void exited.then(done);
          }),
  };
}
