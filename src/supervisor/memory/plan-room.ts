import { describeActivity, holdsMemory, isIdle, type BudgetEntry } from "./budget-entry.js";
import { waitsForRoomNote } from "./memory-budget-messages.js";
import { formatGb } from "./server-size.js";

/** What it takes to start a server now. */
export type RoomPlan = { kind: "fits" } | { kind: "unload"; victims: BudgetEntry[] } | { kind: "wait"; why: string; blockers: BudgetEntry[] };

/** The servers a budget guards, as it counts them. */
export interface Room {
  entries: readonly BudgetEntry[];
  budgetBytes: number;
  /** Groups of server keys that may stay loaded together; absent: any servers whose sizes fit. */
  together?: ReadonlyArray<ReadonlyArray<string>> | undefined;
  /** A server's size as the budget counts it. */
  sizeOf(entry: BudgetEntry): number;
  /** Bytes held now (for the wait's message). */
  heldBytes(): number;
}

/**
 * What it takes to start this server now: nothing, stopping some idle servers (those `together`
 * excludes, then the least recently used, as few as needed), or waiting for busy ones.
 */
export function planRoom(target: BudgetEntry, room: Room): RoomPlan {
  const budget = room.budgetBytes;
  const size = room.sizeOf(target);
  const held = room.entries.filter((e) => e !== target && holdsMemory(e));
  const excluded = held.filter((e) => !mayStayTogether(room.together, e.key, target.key));
  const kept = held.filter((e) => !excluded.includes(e));
  let used = kept.reduce((sum, e) => sum + room.sizeOf(e), 0);
  if (excluded.length === 0 && used + size <= budget) return { kind: "fits" };
  const victims = [...excluded];
  for (const candidate of kept.filter(isIdle).sort((a, b) => a.lastUsed - b.lastUsed)) {
    if (used + size <= budget) break;
    victims.push(candidate);
    used -= room.sizeOf(candidate);
  }
  const blocked = victims.filter((e) => !isIdle(e));
  if (used + size <= budget && blocked.length === 0) return { kind: "unload", victims };
  const blockers = blocked.length > 0 ? blocked : kept.filter((e) => !isIdle(e));
  const busy = blockers.map((e) => `${e.key} (${formatGb(room.sizeOf(e))}, ${describeActivity(e)})`);
  const because =
    blocked.length > 0 ? "may not stay loaded with it (memory.together)" : `hold ${formatGb(room.heldBytes())} of the budget of ${formatGb(budget)}`;
  return { kind: "wait", why: waitsForRoomNote(target.key, size, busy, because), blockers };
}

/** More held than the budget (a server measured larger than thought): the idle servers to stop, least recently used first, as few as bring `over` bytes back. */
export function overBudgetVictims(entries: readonly BudgetEntry[], over: number, sizeOf: (entry: BudgetEntry) => number): BudgetEntry[] {
  const idle = entries.filter((e) => holdsMemory(e) && isIdle(e)).sort((a, b) => a.lastUsed - b.lastUsed);
  let left = over;
  return idle.filter((e) => {
    if (left <= 0) return false;
    left -= sizeOf(e);
    return true;
  });
}

/** Whether two servers may stay loaded at once: always without `together`, else only when a group lists both. */
export function mayStayTogether(groups: ReadonlyArray<ReadonlyArray<string>> | undefined, a: string, b: string): boolean {
  return groups === undefined || groups.some((group) => group.includes(a) && group.includes(b));
}
