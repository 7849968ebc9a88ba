/**
 * Text written now but handed to the socket a moment later, all that came meanwhile in one piece.
 *
 * Why: node-llama-cpp hands each new token to JavaScript, which then asks for the next token; with
 * one sequence that decode is dispatched to the native threads in the same run of promise callbacks
 * (node-llama-cpp's LlamaContext `_scheduleDecode`). A socket write made when the token arrives runs
 * before it, on the critical path of every token; on setImmediate it runs in the same event-loop
 * turn right after those callbacks, while the native threads compute the next token. Not on a timer:
 * that costs the main thread a wake-up of its own per token, and on a busy machine every wake-up
 * waits for a core. The bytes, and their order, are the same.
 */
export interface DeferredWriter {
  /** Queues text; it is written by the next flush. */
  push(text: string): void;
  /** Writes what is queued now (before the stream's last piece or its end). */
  flush(): void;
  /** Drops what is queued and cancels the pending flush (the client went away). */
  discard(): void;
}

export interface DeferredWriterOptions {
  /** Schedules a flush after the current event-loop turn; returns a cancel function. */
  schedule(flush: () => void): () => void;
}

/** setImmediate: the check phase of this turn, after its promise callbacks. */
export const afterThisTurn: DeferredWriterOptions["schedule"] = (flush) => {
  const immediate = setImmediate(flush);
  return () => clearImmediate(immediate);
};

export function createDeferredWriter(write: (text: string) => void, { schedule }: DeferredWriterOptions = { schedule: afterThisTurn }): DeferredWriter {
  let pending: string[] = [];
  let cancel: (() => void) | undefined;
  const flush = () => {
    cancel?.();
    cancel = undefined;
    if (pending.length === 0) return;
    const text = pending.length === 1 ? pending[0]! : pending.join("");
    pending = [];
    write(text);
  };
  return {
    push(text) {
      pending.push(text);
      cancel ??= schedule(flush);
    },
    flush,
    discard() {
      cancel?.();
      cancel = undefined;
      pending = [];
    },
  };
}
