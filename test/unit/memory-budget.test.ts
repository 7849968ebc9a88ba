/**
 * The swap logic against fake supervisors that report their sizes: after every state change of any
 * server, the servers holding memory (starting, ready, stopping) must fit the budget.
 */
import { describe, expect, it } from "vitest";
import { createMemoryBudget, type MemoryBudget } from "../../src/supervisor/memory/memory-budget.js";
import { raceAbort } from "../../src/shared/race-abort.js";
import type { RequestLease, ServerSupervisor, SupervisedServerSpec, SupervisorEvent, SupervisorState } from "../../src/supervisor/types.js";

const GB = 1024 ** 3;

class FakeSupervisor implements ServerSupervisor {
  private _state: SupervisorState = "stopped";
  private _starting: Promise<string> | undefined;
  pid: number | undefined;
  starts = 0;
  stops = 0;
  /** Set to hold the next start until the test releases it. */
  gate: Promise<void> | undefined;

  constructor(
    readonly spec: SupervisedServerSpec,
    private readonly _world: World,
  ) {}

  get state(): SupervisorState {
    return this._state;
  }

  get baseUrl(): string | undefined {
    return this._state === "ready" ? `http://127.0.0.1/${this.spec.key}/v1` : undefined;
  }

  ensureReady(signal?: AbortSignal): Promise<string> {
    if (this._state === "ready") return Promise.resolve(this.baseUrl!);
    this._starting ??= (async () => {
      this._set("starting");
      this.starts++;
      this._world.startOrder.push(this.spec.key);
      await this.gate;
      await tick();
      this.pid = 1000 + this._world.startOrder.length;
      this._set("ready");
      this._world.emit(this.spec.key, { type: "ready", baseUrl: this.baseUrl!, ms: 1 });
      this._starting = undefined;
      return this.baseUrl!;
    })();
    return signal ? raceAbort(this._starting, signal) : this._starting;
  }

  beginRequest(): RequestLease {
    return { signal: new AbortController().signal, progress() {}, end() {} };
  }

  async exitedSince(): Promise<boolean> {
    return false;
  }

  async stop(): Promise<void> {
    if (this._state === "stopped") return;
    this._set("stopping");
    this.stops++;
    await tick();
    this.pid = undefined;
    this._set("stopped");
    this._world.emit(this.spec.key, { type: "stopped" });
  }

  killNow(): void {}

  keep(): undefined {
    return undefined;
  }

  private _set(state: SupervisorState): void {
    this._state = state;
    this._world.check();
  }
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

interface World {
  budget: MemoryBudget;
  servers: Record<string, ServerSupervisor>;
  fakes: Record<string, FakeSupervisor>;
  notes: string[];
  startOrder: string[];
  clock: { now: number };
  /** Highest memory held by the fakes at any state change. */
  peak: number;
  emit(key: string, event: SupervisorEvent): void;
  check(): void;
}

function world(
  budgetGb: number,
  sizesGb: Record<string, number>,
  options: { together?: string[][]; measured?: Record<string, number>; onDisk?: string[] } = {},
): World {
  const measured = new Map<string, number>();
  const w = {
    notes: [] as string[],
    startOrder: [] as string[],
    clock: { now: 0 },
    peak: 0,
    fakes: {} as Record<string, FakeSupervisor>,
    servers: {} as Record<string, ServerSupervisor>,
  } as World;
  w.budget = createMemoryBudget({
    budgetBytes: budgetGb * GB,
    budgetSource: `memory.budget_gb: ${budgetGb}`,
    ...(options.together ? { together: options.together } : {}),
    sizes: {
      of: (key) =>
        measured.has(key)
          ? { bytes: measured.get(key)!, source: "measured" }
          : sizesGb[key] === undefined
            ? undefined
            : { bytes: sizesGb[key]! * GB, source: options.onDisk?.includes(key) ? "weights on disk" : "min_ram_gb" },
      measure: async (key) => {
        const gb = options.measured?.[key];
        if (gb === undefined) return undefined;
        measured.set(key, gb * GB);
        return gb * GB;
      },
    },
    note: (_key, text) => w.notes.push(text),
    now: () => w.clock.now,
  });
  w.emit = (key, event) => w.budget.observe(key, event);
  w.check = () => {
    const held = Object.values(w.fakes)
      .filter((f) => f.state === "starting" || f.state === "ready" || f.state === "stopping")
      .reduce((sum, f) => sum + (options.measured?.[f.spec.key] ?? sizesGb[f.spec.key] ?? 0) * GB, 0);
    w.peak = Math.max(w.peak, held);
    expect(held, `held ${held / GB} GB at a state change`).toBeLessThanOrEqual(budgetGb * GB);
  };
  for (const key of Object.keys(sizesGb).concat(Object.keys(options.measured ?? {}))) {
    if (w.fakes[key]) continue;
    const fake = new FakeSupervisor({ key, model: key } as SupervisedServerSpec, w);
    w.fakes[key] = fake;
    w.servers[key] = w.budget.guard(fake);
  }
  return w;
}

/** One request to a server, begun and ended like connect-upstream does, at the given clock time. */
async function request(w: World, key: string, at: number): Promise<void> {
  w.clock.now = at;
  await w.servers[key]!.ensureReady();
  w.servers[key]!.beginRequest().end();
}

const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 20));

describe("memory budget", () => {
  it("starts servers that fit without stopping anything", async () => {
    const w = world(48, { a: 20, b: 20 });
    await request(w, "a", 1);
    await request(w, "b", 2);
    expect(w.fakes.a!.state).toBe("ready");
    expect(w.fakes.b!.state).toBe("ready");
    expect(w.budget.heldBytes()).toBe(40 * GB);
    expect(w.notes).toEqual([]);
  });

  it("unloads the least recently used idle server, saying why", async () => {
    const w = world(48, { a: 20, b: 20, c: 20 });
    await request(w, "a", 1_000);
    await request(w, "b", 2_000);
    await request(w, "a", 3_000); // a is now more recent than b
    await request(w, "c", 243_000);
    expect(w.fakes.b!.state).toBe("stopped");
    expect(w.fakes.a!.state).toBe("ready");
    expect(w.fakes.c!.state).toBe("ready");
    expect(w.notes).toEqual(["unloaded b (20 GB, idle 4 min) to make room for c (20 GB); budget 48 GB"]);
    expect(w.peak).toBeLessThanOrEqual(48 * GB);
  });

  it("unloads as few servers as needed, oldest first", async () => {
    const w = world(30, { a: 10, b: 10, c: 10, d: 10 });
    await request(w, "a", 1);
    await request(w, "b", 2);
    await request(w, "c", 3);
    await request(w, "d", 4);
    expect(Object.fromEntries(Object.entries(w.fakes).map(([k, f]) => [k, f.state]))).toEqual({ a: "stopped", b: "ready", c: "ready", d: "ready" });
    await request(w, "a", 5);
    expect(w.fakes.b!.state).toBe("stopped");
    expect(w.fakes.a!.stops).toBe(1);
    expect(w.fakes.c!.stops + w.fakes.d!.stops).toBe(0);
  });

  it("waits for a busy server instead of stopping it, then unloads it once idle", async () => {
    const w = world(30, { a: 20, b: 20 });
    await w.servers.a!.ensureReady();
    const lease = w.servers.a!.beginRequest();
    const b = w.servers.b!.ensureReady();
    await settle();
    expect(w.fakes.a!.state).toBe("ready");
    expect(w.fakes.a!.stops).toBe(0);
    expect(w.fakes.b!.starts).toBe(0);
    expect(w.notes).toEqual(["b (20 GB) waits for room: a (20 GB, 1 request in flight) hold 20 GB of the budget of 30 GB"]);
    lease.end();
    await expect(b).resolves.toBe("http://127.0.0.1/b/v1");
    expect(w.fakes.a!.state).toBe("stopped");
    expect(w.notes[1]).toMatch(/^unloaded a \(20 GB, idle 0 s\) to make room for b \(20 GB\); budget 30 GB$/);
  });

  it("serves waiters in arrival order", async () => {
    const w = world(30, { a: 20, b: 20, c: 20 });
    await w.servers.a!.ensureReady();
    const lease = w.servers.a!.beginRequest();
    const b = w.servers.b!.ensureReady();
    await settle();
    const c = w.servers.c!.ensureReady();
    await settle();
    expect(w.startOrder).toEqual(["a"]);
    lease.end();
    await Promise.all([b, c]);
    expect(w.startOrder).toEqual(["a", "b", "c"]);
    expect(w.fakes.b!.state).toBe("stopped");
    expect(w.fakes.c!.state).toBe("ready");
  });

  it("requests for a server that is loading share its one start", async () => {
    const w = world(30, { a: 20 });
    let open!: () => void;
    w.fakes.a!.gate = new Promise((resolve) => (open = resolve));
    const first = w.servers.a!.ensureReady();
    await settle();
    const second = w.servers.a!.ensureReady();
    open();
    expect(await Promise.all([first, second])).toEqual(["http://127.0.0.1/a/v1", "http://127.0.0.1/a/v1"]);
    expect(w.fakes.a!.starts).toBe(1);
  });

  it("stops waiting when the request's signal aborts, and starts nothing for it", async () => {
    const w = world(30, { a: 20, b: 20 });
    await w.servers.a!.ensureReady();
    const lease = w.servers.a!.beginRequest();
    const abort = new AbortController();
    const b = w.servers.b!.ensureReady(abort.signal);
    await settle();
    abort.abort(new Error("client went away"));
    await expect(b).rejects.toThrow("client went away");
    lease.end();
    await settle();
    expect(w.fakes.a!.state).toBe("ready");
    expect(w.fakes.b!.starts).toBe(0);
  });

  it("refuses a model larger than the whole budget, naming its size, the budget and the setting", async () => {
    const w = world(48, { a: 20, huge: 60 }, { onDisk: ["huge"] });
    await request(w, "a", 1);
    await expect(w.servers.huge!.ensureReady()).rejects.toThrow(
      "The model server huge needs 60 GB (weights on disk), more than the whole memory budget of 48 GB (memory.budget_gb: 48): raise memory.budget_gb in mallex.yaml",
    );
    expect(w.fakes.a!.state).toBe("ready");
    expect(w.fakes.huge!.starts).toBe(0);
  });

  it("runs a model whose declared min_ram_gb exceeds the budget alone, rather than refusing an estimate", async () => {
    const w = world(48, { a: 20, big: 60 });
    await request(w, "a", 1);
    w.check = () => {};
    await request(w, "big", 2);
    expect(w.fakes.a!.state).toBe("stopped");
    expect(w.fakes.big!.state).toBe("ready");
    expect(w.notes[0]).toBe("big may need 60 GB (min_ram_gb), more than the budget of 48 GB: it runs alone until measured");
    expect(w.notes[1]).toMatch(/^unloaded a \(20 GB, idle 0 s\) to make room for big \(48 GB\); budget 48 GB$/);
  });

  it("keeps only servers declared together loaded at once, even when more would fit", async () => {
    const w = world(48, { fast: 5, classifier: 2, big: 10 }, { together: [["fast", "classifier"]] });
    await request(w, "fast", 1);
    await request(w, "classifier", 2);
    expect(w.fakes.fast!.state).toBe("ready");
    expect(w.fakes.classifier!.state).toBe("ready");
    await request(w, "big", 3);
    expect(w.fakes.fast!.state).toBe("stopped");
    expect(w.fakes.classifier!.state).toBe("stopped");
    await request(w, "classifier", 4);
    expect(w.fakes.big!.state).toBe("stopped");
  });

  it("waits for a busy server that may not stay loaded with the new one", async () => {
    const w = world(48, { fast: 5, big: 10 }, { together: [] });
    await w.servers.fast!.ensureReady();
    const lease = w.servers.fast!.beginRequest();
    const big = w.servers.big!.ensureReady();
    await settle();
    expect(w.fakes.big!.starts).toBe(0);
    expect(w.notes.at(-1)).toBe("big (10 GB) waits for room: fast (5 GB, 1 request in flight) may not stay loaded with it (memory.together)");
    lease.end();
    await big;
    expect(w.fakes.fast!.state).toBe("stopped");
  });

  it("a server measured larger than thought makes room by unloading idle ones", async () => {
    const w = world(30, { a: 10, b: 10 }, { measured: { b: 25 } });
    await request(w, "a", 1);
    // b was thought to take 10 GB; measured at 25 GB once ready, a (idle) must go.
    w.check = () => {};
    await request(w, "b", 2);
    await settle();
    expect(w.fakes.a!.state).toBe("stopped");
    expect(w.notes.slice(-2)).toEqual([
      "measured b at 25 GB, min_ram_gb 10 GB: 35 GB held, over the budget of 30 GB; idle servers are unloaded, least recently used first, as they turn idle",
      "unloaded a (10 GB, idle 0 s): 35 GB held, over the budget of 30 GB",
    ]);
    expect(w.budget.heldBytes()).toBe(25 * GB);
  });

  it("a server measured larger than thought while the others are busy: the budget holds again as soon as one turns idle", async () => {
    const w = world(30, { a: 10, b: 10 }, { measured: { b: 25 } });
    w.check = () => {};
    await w.servers.a!.ensureReady();
    const leaseA = w.servers.a!.beginRequest();
    w.clock.now = 2;
    await w.servers.b!.ensureReady();
    const leaseB = w.servers.b!.beginRequest();
    await settle();
    // Both busy: nothing is stopped under a request, and 35 GB are held for now.
    expect([w.fakes.a!.state, w.fakes.b!.state]).toEqual(["ready", "ready"]);
    w.clock.now = 3;
    leaseA.end();
    await settle();
    expect([w.fakes.a!.state, w.fakes.b!.state]).toEqual(["stopped", "ready"]);
    expect(w.notes.at(-1)).toBe("unloaded a (10 GB, idle 0 s): 35 GB held, over the budget of 30 GB");
    expect(w.budget.heldBytes()).toBe(25 * GB);
    leaseB.end();
  });

  it("is not starved by overlapping requests to the server it waits for: their new ones queue behind it", async () => {
    const w = world(30, { a: 20, b: 20 });
    await w.servers.a!.ensureReady();
    let lease = w.servers.a!.beginRequest();
    let served = false;
    const b = w.servers.b!.ensureReady().then(() => (served = true));
    await settle();
    // Two sessions on a: each new request arrives before the one before it ends.
    const queued: Array<Promise<string>> = [];
    for (let i = 0; i < 5; i++) {
      queued.push(w.servers.a!.ensureReady());
      lease.end();
      await tick();
      lease = { signal: new AbortController().signal, progress() {}, end() {} };
    }
    await b;
    expect(served).toBe(true);
    // a's requests waited behind b, then a started again (b idle by then: unloaded to make room).
    await Promise.all(queued);
    expect(w.startOrder).toEqual(["a", "b", "a"]);
  });

  it("serves a waiter once the server it waited for is ready and idle again, even when it cannot be measured", async () => {
    const w = world(30, { a: 20, b: 20 });
    await request(w, "a", 1);
    // a restarts on its own after a crash (no caller): it holds its room while it starts.
    w.fakes.a!.gate = new Promise((resolve) => setTimeout(resolve, 30));
    void w.fakes.a!.stop().then(() => w.fakes.a!.ensureReady());
    await settle();
    const b = w.servers.b!.ensureReady(AbortSignal.timeout(2_000));
    await expect(b).resolves.toBe("http://127.0.0.1/b/v1");
    expect(w.fakes.a!.state).toBe("stopped");
  });

  it("starts nothing once closed: a waiting start is refused, so no server starts while mallex stops", async () => {
    const w = world(30, { a: 20, b: 20 });
    await w.servers.a!.ensureReady();
    const lease = w.servers.a!.beginRequest();
    const waiting = w.servers.b!.ensureReady(); // the dashboard's Start: no signal
    await settle();
    w.budget.close();
    await expect(waiting).rejects.toThrow("mallex is stopping: the model server b is not started.");
    await Promise.all(Object.values(w.servers).map((server) => server.stop()));
    lease.end();
    await settle();
    expect(w.fakes.b!.starts).toBe(0);
    await expect(w.servers.b!.ensureReady()).rejects.toThrow(/mallex is stopping/);
  });
});
