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
import { formatDuration } from "./supervisor-messages.js";
import { SupervisorError } from "./supervisor-error.js";
import type { RequestLease, ServerSupervisor, SupervisorEvent } from "./types.js";

/** What one server takes in memory, and how that is known. */
export interface ServerSize {
  bytes: number;
  /** "measured", "weights on disk", "min_ram_gb", "params_b": said in every message about it. */
  source: string;
}

/** Where sizes come from (model-sizes.ts): the best known now, and a measurement of the running server. */
export interface SizeSource {
  /** Undefined: nothing known before the server is loaded once (counted as 0 until measured, with a note). */
  of(key: string): ServerSize | undefined;
  /** Measures the running server (its process tree's RSS) and remembers it; undefined when it cannot. */
  measure(key: string, pid: number): Promise<number | undefined>;
}

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

const GB = 1024 ** 3;

/** The budget when memory.budget_gb is absent: macOS lets the GPU wire about this share of unified memory by default. */
export const DEFAULT_MEMORY_SHARE = 0.75;

/** 64 GB of RAM → 48: the default budget, in whole GB (what `mallex init` writes). */
export function defaultMemoryBudgetGb(ramGb: number): number {
  return Math.floor(ramGb * DEFAULT_MEMORY_SHARE);
}

/** 12_992_276_480 → "12.1 GB" (GiB, as Activity Monitor and the budget count them). */
export function formatGb(bytes: number): string {
  return `${Number((bytes / GB).toFixed(1))} GB`;
}

/** Sizes a profile declares rather than measures (model-sizes.ts). */
export const ESTIMATES: ReadonlySet<string> = new Set(["min_ram_gb", "params_b"]);

interface Entry {
  key: string;
  supervisor: ServerSupervisor;
  /** Requests in flight. */
  inFlight: number;
  /** Callers that got the URL and are about to begin a request (see _ensureReady). */
  claims: Array<{ done: boolean }>;
  /** Callers inside ensureReady. */
  entering: number;
  lastUsed: number;
  /** Admitted to start: its room is held until its start settles. */
  admitted: boolean;
}

interface Waiter {
  entry: Entry;
  resolve(): void;
  reject(error: unknown): void;
  /** The reason it waits, once said (not repeated while nothing changes). */
  said?: string;
  /** The busy servers it waits for: their new requests queue behind it, so it is not starved by overlapping ones. */
  blockers?: ReadonlySet<Entry>;
}

type Plan = { kind: "fits" } | { kind: "unload"; victims: Entry[] } | { kind: "wait"; why: string; blockers: Entry[] };

class Budget implements MemoryBudget {
  private readonly _entries = new Map<string, Entry>();
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
    return [...this._entries.values()].filter((e) => this._holds(e)).reduce((sum, e) => sum + this._size(e).bytes, 0);
  }

  sizes(): Array<{ key: string; size: ServerSize | undefined }> {
    return [...this._entries.keys()].map((key) => ({ key, size: this._options.sizes.of(key) }));
  }

  guard(supervisor: ServerSupervisor): ServerSupervisor {
    const entry: Entry = { key: supervisor.spec.key, supervisor, inFlight: 0, claims: [], entering: 0, lastUsed: this._options.now(), admitted: false };
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

  private async _ensureReady(entry: Entry, signal: AbortSignal | undefined): Promise<string> {
    signal?.throwIfAborted();
    entry.lastUsed = this._options.now();
    // Loaded or loading: its room is held already; the supervisor shares the one start. Unless a
    // request for another server waits for this one to turn idle: then this one queues behind it.
    if (!this._running(entry) || this._waitedFor(entry)) await this._admit(entry, signal);
    entry.entering++;
    try {
      const url = await entry.supervisor.ensureReady(signal);
      // The caller is about to begin its request (connect-upstream does, right after): the server
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

  private _beginRequest(entry: Entry, requestOptions: { watch?: boolean } | undefined): RequestLease {
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

  private _released(entry: Entry): void {
    if (this._busy(entry) === 0) this._pump();
  }

  private _waitedFor(entry: Entry): boolean {
    return this._waiters.some((waiter) => waiter.blockers?.has(entry));
  }

  private _busy(entry: Entry): number {
    return entry.inFlight + entry.claims.length + entry.entering;
  }

  // ── admission ─────────────────────────────────────────────────────────────────────────────

  /** Resolves once this server's room is held (entry.admitted); rejects when it can never fit, or on abort. */
  private _admit(entry: Entry, signal: AbortSignal | undefined): Promise<void> {
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
      if (this._running(waiter.entry)) {
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
      const plan = this._plan(waiter.entry);
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
      const target = this._size(waiter.entry);
      // Decided and begun in one step: a request arriving now sees them stopping and waits for room.
      const stops = plan.victims.map((victim) => {
        const size = this._size(victim);
        const idle = formatDuration(this._options.now() - victim.lastUsed);
        this._options.note(victim.key, `unloaded ${victim.key} (${formatGb(size.bytes)}, idle ${idle}) to make room for ${waiter.entry.key} (${formatGb(target.bytes)}); budget ${formatGb(this._options.budgetBytes)}`);
        return victim.supervisor.stop().catch((error: unknown) => this._options.note(victim.key, `stopping it to make room failed: ${(error as Error).message}`));
      });
      await Promise.all(stops);
    }
  }

  /**
   * What it takes to start this server now: nothing, stopping some idle servers (those `together`
   * excludes, then the least recently used, as few as needed), or waiting for busy ones.
   */
  private _plan(target: Entry): Plan {
    const budget = this._options.budgetBytes;
    const size = this._size(target).bytes;
    const held = [...this._entries.values()].filter((e) => e !== target && this._holds(e));
    const excluded = held.filter((e) => !this._together(e.key, target.key));
    const kept = held.filter((e) => !excluded.includes(e));
    let used = kept.reduce((sum, e) => sum + this._size(e).bytes, 0);
    if (excluded.length === 0 && used + size <= budget) return { kind: "fits" };
    const victims = [...excluded];
    for (const candidate of kept.filter((e) => this._idle(e)).sort((a, b) => a.lastUsed - b.lastUsed)) {
      if (used + size <= budget) break;
      victims.push(candidate);
      used -= this._size(candidate).bytes;
    }
    const blocked = victims.filter((e) => !this._idle(e));
    if (used + size <= budget && blocked.length === 0) return { kind: "unload", victims };
    const blockers = blocked.length > 0 ? blocked : kept.filter((e) => !this._idle(e));
    const busy = blockers.map((e) => `${e.key} (${formatGb(this._size(e).bytes)}, ${this._doing(e)})`);
    const because = blocked.length > 0 ? "may not stay loaded with it (memory.together)" : `hold ${formatGb(this.heldBytes())} of the budget of ${formatGb(budget)}`;
    return { kind: "wait", why: `${target.key} (${formatGb(size)}) waits for room: ${busy.join(", ")} ${because}`, blockers };
  }

  /** Never a silent overcommit: a server that cannot fit even alone is an error that names the setting. */
  private _tooBig(entry: Entry): SupervisorError | undefined {
    const size = this._size(entry);
    if (size.bytes <= this._options.budgetBytes) return undefined;
    return new SupervisorError(
      "E_SERVER_START",
      `The model server ${entry.key} needs ${formatGb(size.bytes)} (${size.source}), more than the whole memory budget of ${formatGb(this._options.budgetBytes)} (${this._options.budgetSource}): raise memory.budget_gb in mallex.yaml if this machine has the room, or use a smaller model or quantization for this profile.`,
    );
  }

  private _together(a: string, b: string): boolean {
    const groups = this._options.together;
    return groups === undefined || groups.some((group) => group.includes(a) && group.includes(b));
  }

  /** Holds memory: admitted to start, or a process that is starting, ready or stopping. */
  private _holds(entry: Entry): boolean {
    return entry.admitted || entry.supervisor.state === "starting" || entry.supervisor.state === "ready" || entry.supervisor.state === "stopping";
  }

  private _running(entry: Entry): boolean {
    return entry.supervisor.state === "starting" || entry.supervisor.state === "ready";
  }

  /** Ready with nothing in flight: may be stopped to make room. A starting server has a caller waiting. */
  private _idle(entry: Entry): boolean {
    return entry.supervisor.state === "ready" && this._busy(entry) === 0 && !entry.admitted;
  }

  private _doing(entry: Entry): string {
    if (entry.supervisor.state === "stopping") return "stopping";
    if (entry.supervisor.state === "starting" || entry.admitted) return "starting";
    if (entry.inFlight === 0) return "about to begin a request";
    return `${entry.inFlight} request${entry.inFlight === 1 ? "" : "s"} in flight`;
  }

  private _size(entry: Entry): ServerSize {
    const size = this._options.sizes.of(entry.key);
    // A declared figure (min_ram_gb is "comfortable", params_b a guess) over the budget is no reason
    // to refuse a model that may well fit: it runs alone, and its measured size decides from then on.
    if (size && ESTIMATES.has(size.source) && size.bytes > this._options.budgetBytes) {
      if (!this._unknownNoted.has(entry.key)) {
        this._unknownNoted.add(entry.key);
        this._options.note(entry.key, `${entry.key} may need ${formatGb(size.bytes)} (${size.source}), more than the budget of ${formatGb(this._options.budgetBytes)}: it runs alone until measured`);
      }
      return { bytes: this._options.budgetBytes, source: `${size.source} ${formatGb(size.bytes)}, capped to the budget until measured` };
    }
    if (size) return size;
    if (!this._unknownNoted.has(entry.key)) {
      this._unknownNoted.add(entry.key);
      this._options.note(entry.key, `size of ${entry.key} unknown until it is loaded (no weights on disk, no min_ram_gb or params_b): counted as 0 GB until measured`);
    }
    return { bytes: 0, source: "unknown" };
  }

  // ── measuring ─────────────────────────────────────────────────────────────────────────────

  /** A server just got ready: its size is measured; one larger than thought makes room (see _enforce). */
  private async _measure(entry: Entry): Promise<void> {
    try {
      const pid = entry.supervisor.pid;
      if (pid === undefined) return;
      const before = this._options.sizes.of(entry.key);
      const bytes = await this._options.sizes.measure(entry.key, pid).catch((error: unknown) => {
        this._options.note(entry.key, `could not measure ${entry.key} (${(error as Error).message}); its size stays ${before ? `${formatGb(before.bytes)} (${before.source})` : "unknown"}`);
        return undefined;
      });
      if (bytes === undefined) return;
      const held = this.heldBytes();
      if (held <= this._options.budgetBytes) return;
      const was = before ? `, ${before.source} ${formatGb(before.bytes)}` : "";
      this._options.note(entry.key, `measured ${entry.key} at ${formatGb(bytes)}${was}: ${formatGb(held)} held, over the budget of ${formatGb(this._options.budgetBytes)}; idle servers are unloaded, least recently used first, as they turn idle`);
    } finally {
      // Whatever the measurement: a server that just got ready may be what a waiter waited for.
      this._pump();
    }
  }

  /** More held than the budget (a server measured larger than thought): idle servers go, least recently used first, as few as needed. */
  private async _enforce(): Promise<void> {
    let over = this.heldBytes() - this._options.budgetBytes;
    if (over <= 0) return;
    const idle = [...this._entries.values()].filter((e) => this._holds(e) && this._idle(e)).sort((a, b) => a.lastUsed - b.lastUsed);
    const victims = idle.filter((e) => {
      if (over <= 0) return false;
      over -= this._size(e).bytes;
      return true;
    });
    const stops = victims.map((victim) => {
      this._options.note(victim.key, `unloaded ${victim.key} (${formatGb(this._size(victim).bytes)}, idle ${formatDuration(this._options.now() - victim.lastUsed)}): ${formatGb(this.heldBytes())} held, over the budget of ${formatGb(this._options.budgetBytes)}`);
      return victim.supervisor.stop().catch((error: unknown) => this._options.note(victim.key, `stopping it to bring the memory held under the budget failed: ${(error as Error).message}`));
    });
    await Promise.all(stops);
  }

}

const stoppingError = (key: string) => new SupervisorError("E_SERVER_STOPPED", `mallex is stopping: the model server ${key} is not started.`);
