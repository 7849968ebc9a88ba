/** The memory budget's sentences: each names the servers, their sizes and how those are known, and the budget. */
import { SupervisorError } from "../supervisor-error.js";
import { formatDuration } from "../supervisor-messages.js";
import { formatGb, type ServerSize } from "./server-size.js";

/** Never a silent overcommit: a server that cannot fit even alone is an error that names the setting. */
export function tooBigError(key: string, size: ServerSize, budgetBytes: number, budgetSource: string): SupervisorError {
  return new SupervisorError(
    "E_SERVER_START",
    `The model server ${key} needs ${formatGb(size.bytes)} (${size.source}), more than the whole memory budget of ${formatGb(budgetBytes)} (${budgetSource}): raise memory.budget_gb in mallex.yaml if this machine has the room, or use a smaller model or quantization for this profile.`,
  );
}

export const stoppingError = (key: string): SupervisorError =>
  new SupervisorError("E_SERVER_STOPPED", `mallex is stopping: the model server ${key} is not started.`);

/** `busy`: the servers it waits for, each with its size and what it is doing; `because`: why they stay. */
export function waitsForRoomNote(key: string, bytes: number, busy: readonly string[], because: string): string {
  return `${key} (${formatGb(bytes)}) waits for room: ${busy.join(", ")} ${because}`;
}

export function unloadedForRoomNote(
  victim: { key: string; bytes: number; idleMs: number },
  target: { key: string; bytes: number },
  budgetBytes: number,
): string {
  return `unloaded ${victim.key} (${formatGb(victim.bytes)}, idle ${formatDuration(victim.idleMs)}) to make room for ${target.key} (${formatGb(target.bytes)}); budget ${formatGb(budgetBytes)}`;
}

export function unloadedOverBudgetNote(victim: { key: string; bytes: number; idleMs: number }, heldBytes: number, budgetBytes: number): string {
  return `unloaded ${victim.key} (${formatGb(victim.bytes)}, idle ${formatDuration(victim.idleMs)}): ${formatGb(heldBytes)} held, over the budget of ${formatGb(budgetBytes)}`;
}

export const stopForRoomFailedNote = (error: unknown): string => `stopping it to make room failed: ${(error as Error).message}`;

export const stopOverBudgetFailedNote = (error: unknown): string => `stopping it to bring the memory held under the budget failed: ${(error as Error).message}`;

/** Said once per server, the first time its size is counted other than as known (see countedSize). */
export function countedSizeNote(key: string, known: ServerSize | undefined, because: "estimate-over-budget" | "unknown", budgetBytes: number): string {
  if (because === "estimate-over-budget" && known)
    return `${key} may need ${formatGb(known.bytes)} (${known.source}), more than the budget of ${formatGb(budgetBytes)}: it runs alone until measured`;
  return `size of ${key} unknown until it is loaded (no weights on disk, no min_ram_gb or params_b): counted as 0 GB until measured`;
}

export function measureFailedNote(key: string, error: unknown, before: ServerSize | undefined): string {
  return `could not measure ${key} (${(error as Error).message}); its size stays ${before ? `${formatGb(before.bytes)} (${before.source})` : "unknown"}`;
}

export function measuredOverBudgetNote(key: string, bytes: number, before: ServerSize | undefined, heldBytes: number, budgetBytes: number): string {
  const was = before ? `, ${before.source} ${formatGb(before.bytes)}` : "";
  return `measured ${key} at ${formatGb(bytes)}${was}: ${formatGb(heldBytes)} held, over the budget of ${formatGb(budgetBytes)}; idle servers are unloaded, least recently used first, as they turn idle`;
}
