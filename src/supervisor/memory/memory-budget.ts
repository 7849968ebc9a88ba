/**
 * Memory-aware swapping of the model servers mallex runs on one machine (llama-swap's groups and
 * `ttl`, with measured sizes). Before a server starts, the servers loaded or starting plus the new
 * one must fit the budget: the least recently used idle servers (no request in flight) are stopped
 * first, as few as needed; when the rest are busy the start waits, in arrival order, until one turns
 * idle. A model larger than the whole budget is an error, never an overcommit. With `together`
 * declared, two servers stay loaded at once only when a group lists both (else llama-swap's
 * `exclusive`: loading one unloads the other).
 *
 * The budget wraps each supervisor (guard): its ensureReady asks for room first, its requests mark
 * use for the LRU order. The supervisor's own idle unload (`idle_unload_s`, llama-swap's `ttl`) and
 * crash restarts go on as before; the budget reads their state from the supervisor itself.
 *
 * @example
 * const budget = createMemoryBudget({ budgetBytes, budgetSource: "memory.budget_gb", sizes, note, now: Date.now });
 * const supervisor = budget.guard(createSupervisor(spec, { …, onEvent: (e) => budget.observe(spec.key, e) }));
 */
import { busyCount, isRunning, holdsMemory, type BudgetEntry } from "./budget-entry.js";
import {
  countedSizeNote,
  measuredOverBudgetNote,
  measureFailedNote,
  stopForRoomFailedNote,
  stoppingError,
  stopOverBudgetFailedNote,
  tooBigError,
  unloadedForRoomNote,
  unloadedOverBudgetNote,
} from "./memory-budget-messages.js";
import { overBudgetVictims, planRoom } from "./plan-room.js";
import { countedSize, type ServerSize, type SizeSource } from "./server-size.js";
import type { SupervisorError } from "../supervisor-error.js";
import type { RequestLease, ServerSupervisor, SupervisorEvent } from "../types.js";

export interface MemoryBudgetOptions {
  budgetBytes: number;
  /** Which setting the budget comes from, for messages: "memory.budget_gb: 48", "75% of this machine's 64 GB". */
  budgetSource: string;
  /** Groups of server keys that may stay loaded together; absent: any servers whose sizes fit. */
  together?: ReadonlyArray<ReadonlyArray<string>>;
  sizes: SizeSource;
  /** Why a server waits, is unloaded or is over budget: a line for that server's events/log. */
  note(key: string, text: string): void;
  now(): number;
  /** Runs a callback on a later turn of the event loop (default setTimeout 0). */
  defer?(callback: () => void): void;
}

export interface MemoryBudget {
  readonly budgetBytes: number;
  /** The supervisor, behind the budget: starts wait for room, requests mark use. */
  guard(supervisor: ServerSupervisor): ServerSupervisor;
  /** The supervisor's events: `ready` measures it, a stop or failure frees room for whoever waits. */
  observe(key: string, event: SupervisorEvent): void;
  /** Bytes held now by servers loaded, starting, stopping or admitted to start. */
  heldBytes(): number;
  /** Each guarded server's size as best known now, and how (its sizes' source; undefined: nothing known yet). */
  sizes(): Array<{ key: string; size: ServerSize | undefined }>;
  /** mallex is stopping: waiting starts are refused (their servers would start during the shutdown), and so are new ones. */
  close(): void;
}

export function createMemoryBudget(options: MemoryBudgetOptions): MemoryBudget {
  return new Budget(options);
}

interface Waiter {
  entry: BudgetEntry;
  resolve(): void;
  reject(error: unknown): void;
  /** The reason it waits, once said (not repeated while nothing changes). */
  said?: string;
  /** The busy servers it waits for: their new requests queue behind it, so it is not starved by overlapping ones. */
  blockers?: ReadonlySet<BudgetEntry>;
}

class Budget implements MemoryBudget {
  private readonly _entries = new Map<string, BudgetEntry>();
  private readonly _waiters: Waiter[] = [];
  private readonly _unknownNoted = new Set<string>();
  private _draining = false;
  private _again = false;
  private _closed = false;

  constructor(private readonly _options: MemoryBudgetOptions) {}

  get budgetBytes(): number {
    return this._options.budgetBytes;
  }

  heldBytes(): number {
    return [...this._entries.values()].filter(holdsMemory).reduce((sum, e) => sum + this._size(e).bytes, 0);
  }

  sizes(): Array<{ key: string; size: ServerSize | undefined }> {
    return [...this._entries.keys()].map((key) => ({ key, size: this._options.sizes.of(key) }));
  }

  guard(supervisor: ServerSupervisor): ServerSupervisor {
    const entry: BudgetEntry = { key: supervisor.spec.key, supervisor, inFlight: 0, claims: [], entering: 0, lastUsed: this._options.now(), admitted: false };
    this._entries.set(entry.key, entry);
    const budget = this;
    return {
      get spec() {
        return supervisor.spec;
      },
      get state() {
        return supervisor.state;
      },
      get pid() {
        return supervisor.pid;
      },
      get baseUrl() {
        return supervisor.baseUrl;
      },
      ensureReady: (signal) => budget._ensureReady(entry, signal),
      beginRequest: (requestOptions) => budget._beginRequest(entry, requestOptions),
      exitedSince: (baseUrl, timeoutMs) => supervisor.exitedSince(baseUrl, timeoutMs),
      stop: () => supervisor.stop().finally(() => budget._pump()),
      killNow: () => supervisor.killNow(),
      keep: () => supervisor.keep(),
    };
  }

  close(): void {
    this._closed = true;
    for (const waiter of this._waiters.splice(0)) waiter.reject(stoppingError(waiter.entry.key));
  }

  observe(key: string, event: SupervisorEvent): void {
    const entry = this._entries.get(key);
    if (!entry) return;
    if (event.type === "ready") void this._measure(entry);
    if (event.type === "stopped" || event.type === "unloaded" || event.type === "failed") this._pump();
  }

  // ── the request path ──────────────────────────────────────────────────────────────────────

  private async _ensureReady(entry: BudgetEntry, signal: AbortSignal | undefined): Promise<string> {
    signal?.throwIfAborted();
    entry.lastUsed = this._options.now();
    // Loaded or loading: its room is held already; the supervisor shares the one start. Unless a
    // request for another server waits for this one to turn idle: then this one queues behind it.
    if (!isRunning(entry) || this._waitedFor(entry)) await this._admit(entry, signal);
    entry.entering++;
    try {
      const url = await entry.supervisor.ensureReady(signal);
      // The caller is about to begin its request (callBackend does, right after): the server
      // is busy until it does, or until the next turn of the event loop when it does not.
      const claim = { done: false };
      entry.claims.push(claim);
      const defer = this._options.defer ?? ((callback: () => void) => void setTimeout(callback, 0));
      defer(() => {
        if (claim.done) return;
        claim.done = true;
        entry.claims.splice(entry.claims.indexOf(claim), 1);
        this._released(entry);
      });
      return url;
    } finally {
      entry.admitted = false;
      entry.entering--;
      this._released(entry);
    }
  }

  private _beginRequest(entry: BudgetEntry, requestOptions: { watch?: boolean } | undefined): RequestLease {
    const lease = entry.supervisor.beginRequest(requestOptions);
    const claim = entry.claims.shift();
    if (claim) claim.done = true;
    entry.inFlight++;
    entry.lastUsed = this._options.now();
    let ended = false;
    return {
      signal: lease.signal,
      progress: () => lease.progress(),
      end: () => {
        lease.end();
        if (ended) return;
        ended = true;
        entry.lastUsed = this._options.now();
        entry.inFlight--;
        this._released(entry);
      },
    };
  }

  private _released(entry: BudgetEntry): void {
    if (busyCount(entry) === 0) this._pump();
  }

  private _waitedFor(entry: BudgetEntry): boolean {
    return this._waiters.some((waiter) => waiter.blockers?.has(entry));
  }

  // ── admission ─────────────────────────────────────────────────────────────────────────────

  /** Resolves once this server's room is held (entry.admitted); rejects when it can never fit, or on abort. */
  private _admit(entry: BudgetEntry, signal: AbortSignal | undefined): Promise<void> {
    if (this._closed) return Promise.reject(stoppingError(entry.key));
    const tooBig = this._tooBig(entry);
    if (tooBig) return Promise.reject(tooBig);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this._waiters.indexOf(waiter);
        if (index >= 0) this._waiters.splice(index, 1);
        reject(signal!.reason);
        this._pump();
      };
      const waiter: Waiter = {
        entry,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this._waiters.push(waiter);
      this._pump();
    });
  }

  /** One drain at a time; a change while it runs makes it look again. */
  private _pump(): void {
    if (this._draining) {
      this._again = true;
      return;
    }
    this._draining = true;
    void this._drain().finally(() => {
      this._draining = false;
      if (this._again) {
        this._again = false;
        this._pump();
      }
    });
  }

  /** Serves the waiters, then stops idle servers while more is held than the budget (a server measured larger than thought). */
  private async _drain(): Promise<void> {
    if (this._closed) return;
    await this._serveWaiters();
    await this._enforce();
  }

  /** Serves the waiters in arrival order: the first one that cannot start yet holds up the rest. */
  private async _serveWaiters(): Promise<void> {
    while (this._waiters.length > 0 && !this._closed) {
      this._again = false;
      const waiter = this._waiters[0]!;
      // Started meanwhile (a request to the dashboard's start, say): its room is held already.
      if (isRunning(waiter.entry)) {
        this._waiters.shift();
        waiter.resolve();
        continue;
      }
      // Measured larger than the budget while it waited: it would wait for ever.
      const tooBig = this._tooBig(waiter.entry);
      if (tooBig) {
        this._waiters.shift();
        waiter.reject(tooBig);
        continue;
      }
      const plan = planRoom(waiter.entry, this._room());
      if (plan.kind === "fits") {
        this._waiters.shift();
        waiter.entry.admitted = true;
        waiter.resolve();
        continue;
      }
      if (plan.kind === "wait") {
        if (waiter.said !== plan.why) this._options.note(waiter.entry.key, plan.why);
        waiter.said = plan.why;
        waiter.blockers = new Set(plan.blockers);
        return;
      }
      const target = { key: waiter.entry.key, bytes: this._size(waiter.entry).bytes };
      // Decided and begun in one step: a request arriving now sees them stopping and waits for room.
      const stops = plan.victims.map((victim) => {
        const size = this._size(victim);
        this._options.note(
          victim.key,
          unloadedForRoomNote({ key: victim.key, bytes: size.bytes, idleMs: this._options.now() - victim.lastUsed }, target, this._options.budgetBytes),
        );
        return victim.supervisor.stop().catch((error: unknown) => this._options.note(victim.key, stopForRoomFailedNote(error)));
      });
      await Promise.all(stops);
    }
  }

  /** The guarded servers as planRoom counts them. */
  private _room() {
    return {
      entries: [...this._entries.values()],
      budgetBytes: this._options.budgetBytes,
      together: this._options.together,
      sizeOf: (entry: BudgetEntry) => this._size(entry).bytes,
      heldBytes: () => this.heldBytes(),
    };
  }

  /** Never a silent overcommit: a server that cannot fit even alone is an error that names the setting. */
  private _tooBig(entry: BudgetEntry): SupervisorError | undefined {
    const size = this._size(entry);
    if (size.bytes <= this._options.budgetBytes) return undefined;
    return tooBigError(entry.key, size, this._options.budgetBytes, this._options.budgetSource);
  }

  /** A server's size as the budget counts it (countedSize); one counted other than as known is said once. */
  private _size(entry: BudgetEntry): ServerSize {
    const known = this._options.sizes.of(entry.key);
    const counted = countedSize(known, this._options.budgetBytes);
    if (counted.because !== undefined && !this._unknownNoted.has(entry.key)) {
      this._unknownNoted.add(entry.key);
      this._options.note(entry.key, countedSizeNote(entry.key, known, counted.because, this._options.budgetBytes));
    }
    return counted.size;
  }

  // ── measuring ─────────────────────────────────────────────────────────────────────────────

  /** A server just got ready: its size is measured; one larger than thought makes room (see _enforce). */
  private async _measure(entry: BudgetEntry): Promise<void> {
    try {
      const pid = entry.supervisor.pid;
      if (pid === undefined) return;
      const before = this._options.sizes.of(entry.key);
      const bytes = await this._options.sizes.measure(entry.key, pid).catch((error: unknown) => {
        this._options.note(entry.key, measureFailedNote(entry.key, error, before));
        return undefined;
      });
      if (bytes === undefined) return;
      const held = this.heldBytes();
      if (held <= this._options.budgetBytes) return;
      this._options.note(entry.key, measuredOverBudgetNote(entry.key, bytes, before, held, this._options.budgetBytes));
    } finally {
      // Whatever the measurement: a server that just got ready may be what a waiter waited for.
      this._pump();
    }
  }

  /** More held than the budget (a server measured larger than thought): idle servers go, least recently used first, as few as needed. */
  private async _enforce(): Promise<void> {
    const over = this.heldBytes() - this._options.budgetBytes;
    if (over <= 0) return;
    const victims = overBudgetVictims([...this._entries.values()], over, (e) => this._size(e).bytes);
    const stops = victims.map((victim) => {
      this._options.note(
        victim.key,
        unloadedOverBudgetNote(
          { key: victim.key, bytes: this._size(victim).bytes, idleMs: this._options.now() - victim.lastUsed },
          this.heldBytes(),
          this._options.budgetBytes,
        ),
      );
      return victim.supervisor.stop().catch((error: unknown) => this._options.note(victim.key, stopOverBudgetFailedNote(error)));
    });
    await Promise.all(stops);
  }
}
