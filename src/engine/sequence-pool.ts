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
  const queue: Array<{ tokens: readonly Token[]; grant(entry: Entry): void }> = [];
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
        const next = queue.shift();
        if (next) next.grant(entry);
      },
    };
  };

  return {
    get waiting() {
      return queue.length;
    },
    acquire(tokens, signal) {
      if (signal.aborted) return Promise.reject(signal.reason);
      const free = pick(tokens);
      if (free) return Promise.resolve(lease(free));
      return new Promise((resolve, reject) => {
        const waiter = {
          tokens,
          grant: (entry: Entry) => {
            signal.removeEventListener("abort", onAbort);
            resolve(lease(entry));
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
    },
  };
}
