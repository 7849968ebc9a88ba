import type { SupervisorPool } from "../../backends/supervisor-pool.js";

/** One model server's size as the memory budget counts it. */
export interface ServerMemory {
  key: string;
  /** Absent: nothing tells its size until it is loaded and measured (the budget counts it as 0). */
  bytes?: number;
  /** "measured", "weights on disk", "min_ram_gb", "params_b" (model-sizes.ts), or "unknown". */
  source: string;
}

/** The memory budget the supervised servers share (supervisor/memory/memory-budget.ts), for the dashboard and `mallex status`. */
export interface MemorySummary {
  budgetBytes: number;
  /** Held now by servers loaded, starting, stopping or admitted to start. */
  heldBytes: number;
  servers: ServerMemory[];
}

/** Pure read of the budget now, built with a snapshot or a poll (never on a request's path); undefined without a budget. */
export function summarizeMemory(supervisors: SupervisorPool | undefined): MemorySummary | undefined {
  const budget = supervisors?.memory;
  if (!budget) return undefined;
  return {
    budgetBytes: budget.budgetBytes,
    heldBytes: budget.heldBytes(),
    servers: budget.sizes().map(({ key, size }) => (size ? { key, bytes: size.bytes, source: size.source } : { key, source: "unknown" })),
  };
}
