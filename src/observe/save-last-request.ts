import { join } from "node:path";
import { writeFolderAtomicAsync } from "../shared/files/write-folder-atomic.js";

/** The folder under MALLEX_HOME that holds the last /v1/messages request (see format-last-request.ts). */
export function lastRequestDir(mallexHome: string): string {
  return join(mallexHome, "last-request");
}

/**
 * How long a queued set waits before it is written: requests ending meanwhile replace it, so a busy
 * proxy formats and writes at most one set per interval (a Claude Code request's set is ~100 KB of
 * JSON, formatted and redacted in a millisecond or two of the event loop, which a tenth of a second
 * apart showed in the latency of the requests that waited behind it).
 */
export const LAST_REQUEST_WRITE_DELAY_MS = 1_000;

export interface LastRequestSaver {
  /**
   * Queues the files of a request that ended; returns at once. Written after LAST_REQUEST_WRITE_DELAY_MS,
   * one set at a time: requests ending meanwhile replace the queued set (the latest wins).
   */
  save(files: () => Record<string, string>): void;
  /** Writes what is queued now (the proxy closing); resolves once it is written. */
  flush(): Promise<void>;
}

export interface LastRequestSaverOptions {
  /** Told once when the folder cannot be written. */
  onError(message: string): void;
  /** Runs the write later (default: after LAST_REQUEST_WRITE_DELAY_MS, not keeping the process up): never on the request's own path. */
  defer?: (run: () => Promise<void>) => void;
}

/**
 * Saves the last request into `dir`, the set as a whole (write-folder-atomic.ts: a reader, a user
 * attaching the folder to a bug report, or another mallex on the same MALLEX_HOME saving its own
 * last request at the same moment never leaves files of two requests mixed there) and off the event
 * loop (a rename here took milliseconds). The files are built only when written, so a request
 * replaced in the queue costs no formatting; one set is written at a time.
 */
export function createLastRequestSaver(dir: string, options: LastRequestSaverOptions): LastRequestSaver {
  // Unref'd: a queued set does not keep mallex running; close() flushes it.
  const defer = options.defer ?? ((run) => void setTimeout(run, LAST_REQUEST_WRITE_DELAY_MS).unref());
  let queued: (() => Record<string, string>) | undefined;
  let scheduled = false;
  let failed = false;
  let writing: Promise<void> = Promise.resolve();
  const writeQueued = async () => {
    const build = queued;
    queued = undefined;
    if (build === undefined) return;
    try {
      await writeFolderAtomicAsync(dir, build());
    } catch (error) {
      if (failed) return;
      failed = true;
      options.onError(`mallex: cannot save the last request in ${dir}: ${(error as Error).message}`);
    }
  };
  const write = () => {
    scheduled = false;
    writing = writing.then(writeQueued);
    return writing;
  };
  return {
    save(files) {
      queued = files;
      if (scheduled) return;
      scheduled = true;
      defer(write);
    },
    flush: write,
  };
}
