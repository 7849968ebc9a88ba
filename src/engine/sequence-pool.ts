import type { LlamaChat, LlamaContextSequence, Token } from "node-llama-cpp";

export interface Slot {
  readonly sequence: LlamaContextSequence;
  readonly chat: LlamaChat;
}

export interface SequencePool {
  /**
   * The idle slot whose KV cache shares the longest prefix with `tokens` (the previous turn of the
   * same conversation, usually), else the least recently used one; waits in a FIFO queue while
   * every slot is busy. Rejects when the signal aborts while waiting.
   */
  acquire(tokens: readonly Token[], signal: AbortSignal): Promise<{ slot: Slot; release(): void }>;
  /** Slot `index` itself once it is idle (a saved state written from it or read into it: slot-actions.ts), in the same queue. */
  acquireSlot(index: number, signal: AbortSignal): Promise<{ slot: Slot; release(): void }>;
  /** How many slots there are. */
  readonly size: number;
  /** Requests waiting for a slot. */
  readonly waiting: number;
}

interface Entry {
  slot: Slot;
  busy: boolean;
  lastUsed: number;
}

/** One context, one sequence per slot: requests run side by side up to the slot count, the rest queue. */
export function createSequencePool(slots: readonly Slot[]): SequencePool {
  const entries: Entry[] = slots.map((slot) => ({ slot, busy: false, lastUsed: 0 }));
  // A waiter for one slot (`entry`) lets those behind it take the others.
  const queue: Array<{ entry?: Entry; grant(entry: Entry): void }> = [];
  let clock = 0;

  const pick = (tokens: readonly Token[]): Entry | undefined => {
    let best: Entry | undefined;
    let bestShared = -1;
    for (const entry of entries) {
      if (entry.busy) continue;
      const shared = entry.slot.sequence.compareContextTokens(tokens as Token[]).firstDifferentIndex;
      if (shared > bestShared || (shared === bestShared && best !== undefined && entry.lastUsed < best.lastUsed)) {
        best = entry;
        bestShared = shared;
      }
    }
    return best;
  };

  const lease = (entry: Entry) => {
    entry.busy = true;
    entry.lastUsed = ++clock;
    let released = false;
    return {
      slot: entry.slot,
      release() {
        if (released) return;
        released = true;
        entry.busy = false;
        const next = queue.findIndex((waiter) => waiter.entry === undefined || waiter.entry === entry);
        if (next >= 0) queue.splice(next, 1)[0]!.grant(entry);
      },
    };
  };

  const wait = (signal: AbortSignal, entry?: Entry) =>
    new Promise<ReturnType<typeof lease>>((resolve, reject) => {
      const waiter = {
        ...(entry ? { entry } : {}),
        grant: (granted: Entry) => {
          signal.removeEventListener("abort", onAbort);
          resolve(lease(granted));
        },
      };
      const onAbort = () => {
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      queue.push(waiter);
    });

  return {
    get waiting() {
      return queue.length;
    },
    size: entries.length,
    acquire(tokens, signal) {
      if (signal.aborted) return Promise.reject(signal.reason);
      const free = pick(tokens);
      return free ? Promise.resolve(lease(free)) : wait(signal);
    },
    acquireSlot(index, signal) {
      const entry = entries[index];
      if (entry === undefined) return Promise.reject(new RangeError(`no slot ${index}: the engine has ${entries.length}`));
      if (signal.aborted) return Promise.reject(signal.reason);
      return entry.busy ? wait(signal, entry) : Promise.resolve(lease(entry));
    },
  };
}
