/**
 * The memory budget a routing table asks for: memory.budget_gb (else 75% of this machine's RAM), and
 * memory.together's profile names turned into the keys of the servers that run them.
 */
import type { RoutingTable } from "../../compile/routing-table.js";
import { defaultMemoryBudgetGb } from "./default-memory-budget.js";
import { createMemoryBudget, type MemoryBudget } from "./memory-budget.js";
import type { SizeSource } from "./server-size.js";

export interface TableMemoryOptions {
  /** This machine's RAM in bytes (os.totalmem()), for the default budget. */
  totalBytes: number;
  sizes: SizeSource;
  note(key: string, text: string): void;
  now?(): number;
}

const GB = 1024 ** 3;

/** keyOf: the key of the server that runs a profile; undefined for a profile mallex does not supervise. */
export function createTableMemoryBudget(table: RoutingTable, options: TableMemoryOptions, keyOf: (profile: string) => string | undefined): MemoryBudget {
  const { budgetGb, source: budgetSource } = memoryBudgetOf(table, options.totalBytes / GB);
  const together = table.memory?.together?.map((group) => group.map(keyOf).filter((key): key is string => key !== undefined));
  return createMemoryBudget({
    budgetBytes: budgetGb * GB,
    budgetSource,
    ...(together ? { together } : {}),
    sizes: options.sizes,
    note: options.note,
    now: options.now ?? Date.now,
  });
}

/** The budget in GB and where it comes from, in words: memory.budget_gb, else a share of `ramGb`. */
export function memoryBudgetOf(table: RoutingTable, ramGb: number): { budgetGb: number; source: string } {
  const declared = table.memory?.budgetGb;
  if (declared !== undefined) return { budgetGb: declared, source: `memory.budget_gb: ${declared}` };
  return { budgetGb: defaultMemoryBudgetGb(ramGb), source: `75% of this machine's ${Math.round(ramGb)} GB, as memory.budget_gb is not set` };
}
