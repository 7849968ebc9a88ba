/**
 * Text written now but handed to the socket a moment later, all that came meanwhile in one piece.
 *
 * Why: node-llama-cpp hands each new token to JavaScript, which then asks for the next token; that
 * decode is dispatched to the native threads in the same run of promise callbacks (one sequence) or
 * on setImmediate (several: node-llama-cpp's LlamaContext `_scheduleDecode`). A socket write made
 * when the token arrives runs first, on the critical path of every token; on a timer it runs after
 * the dispatch, while the native threads compute the next token, and tokens that came within the
 * same millisecond leave in one write. The bytes, and their order, are the same.
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

/** setTimeout(…, 0): after this turn's promise callbacks and its check phase, where node-llama-cpp dispatches the next decode. */
export const afterThisTurn: DeferredWriterOptions["schedule"] = (flush) => {
  const timer = setTimeout(flush, 0);
  return () => clearTimeout(timer);
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
