import { describe, expect, it } from "vitest";
import type { BudgetEntry } from "../../src/supervisor/memory/budget-entry.js";
import { overBudgetVictims, planRoom, type Room } from "../../src/supervisor/memory/plan-room.js";
import { countedSize } from "../../src/supervisor/memory/server-size.js";
import type { ServerSupervisor, SupervisorState } from "../../src/supervisor/types.js";

// The memory budget's decisions as pure functions of the servers it guards (memory-budget.test.ts
// drives the same decisions through guarded supervisors, over time).

const GB = 1024 ** 3;

/** A guarded server as the budget sees it: only its state is read of the supervisor. */
function entry(key: string, state: SupervisorState, options: { lastUsed?: number; inFlight?: number; admitted?: boolean } = {}): BudgetEntry {
  return {
    key,
    supervisor: { state } as ServerSupervisor,
    inFlight: options.inFlight ?? 0,
    claims: [],
    entering: 0,
    lastUsed: options.lastUsed ?? 0,
    admitted: options.admitted ?? false,
  };
}

function room(entries: BudgetEntry[], sizesGb: Record<string, number>, budgetGb: number, together?: string[][]): Room {
  const sizeOf = (e: BudgetEntry) => (sizesGb[e.key] ?? 0) * GB;
  return {
    entries,
    budgetBytes: budgetGb * GB,
    together,
    sizeOf,
    heldBytes: () => entries.filter((e) => e.admitted || e.supervisor.state !== "stopped").reduce((sum, e) => sum + sizeOf(e), 0),
  };
}

describe("planRoom", () => {
  it("fits a server beside the loaded ones when their sizes leave room", () => {
    const target = entry("b", "stopped");
    expect(planRoom(target, room([entry("a", "ready"), target], { a: 4, b: 4 }, 10))).toEqual({ kind: "fits" });
  });

  it("unloads as few idle servers as needed, least recently used first", () => {
    const [old, newer, newest] = [entry("a", "ready", { lastUsed: 1 }), entry("c", "ready", { lastUsed: 2 }), entry("d", "ready", { lastUsed: 3 })];
    const target = entry("b", "stopped");
    const plan = planRoom(target, room([newest, old, newer, target], { a: 3, c: 3, d: 3, b: 4 }, 10));
    expect(plan).toEqual({ kind: "unload", victims: [old] });
  });

  it("waits for a busy server rather than stopping it, naming it, what it does and what is held", () => {
    const busy = entry("a", "ready", { inFlight: 1 });
    const target = entry("b", "stopped");
    const plan = planRoom(target, room([busy, target], { a: 8, b: 4 }, 10));
    expect(plan).toEqual({ kind: "wait", why: "b (4 GB) waits for room: a (8 GB, 1 request in flight) hold 8 GB of the budget of 10 GB", blockers: [busy] });
  });

  it("unloads a server that may not stay loaded with the new one (memory.together), even when both would fit", () => {
    const apart = entry("a", "ready");
    const target = entry("b", "stopped");
    expect(planRoom(target, room([apart, target], { a: 1, b: 1 }, 10, [["a", "c"]]))).toEqual({ kind: "unload", victims: [apart] });
    expect(planRoom(target, room([apart, target], { a: 1, b: 1 }, 10, [["a", "b"]]))).toEqual({ kind: "fits" });
  });

  it("waits for a busy server that may not stay loaded with the new one, saying so", () => {
    const apart = entry("a", "starting");
    const target = entry("b", "stopped");
    const plan = planRoom(target, room([apart, target], { a: 1, b: 1 }, 10, [["b", "c"]]));
    expect(plan).toEqual({ kind: "wait", why: "b (1 GB) waits for room: a (1 GB, starting) may not stay loaded with it (memory.together)", blockers: [apart] });
  });
});

describe("overBudgetVictims", () => {
  it("picks idle servers holding memory, least recently used first, until the excess is covered", () => {
    const [a, b, c] = [entry("a", "ready", { lastUsed: 1 }), entry("b", "ready", { lastUsed: 2 }), entry("c", "ready", { lastUsed: 3 })];
    const busy = entry("d", "ready", { lastUsed: 0, inFlight: 2 });
    const stopped = entry("e", "stopped", { lastUsed: 0 });
    expect(overBudgetVictims([c, busy, b, stopped, a], 5 * GB, () => 4 * GB)).toEqual([a, b]);
    expect(overBudgetVictims([c, busy, b, stopped, a], 0, () => 4 * GB)).toEqual([]);
  });
});

describe("countedSize", () => {
  it("counts a declared estimate larger than the whole budget as the budget, saying so in its source", () => {
    expect(countedSize({ bytes: 60 * GB, source: "min_ram_gb" }, 48 * GB)).toEqual({
      size: { bytes: 48 * GB, source: "min_ram_gb 60 GB, capped to the budget until measured" },
      because: "estimate-over-budget",
    });
  });

  it("counts a measured size as it is, over the budget or not, and an unknown one as 0", () => {
    expect(countedSize({ bytes: 60 * GB, source: "measured" }, 48 * GB)).toEqual({ size: { bytes: 60 * GB, source: "measured" } });
    expect(countedSize(undefined, 48 * GB)).toEqual({ size: { bytes: 0, source: "unknown" }, because: "unknown" });
  });
});
