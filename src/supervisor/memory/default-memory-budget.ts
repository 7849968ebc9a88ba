/** The budget when memory.budget_gb is absent: macOS lets the GPU wire about this share of unified memory by default. */
export const DEFAULT_MEMORY_SHARE = 0.75;

/** 64 GB of RAM → 48: the default budget, in whole GB (what `mallex init` writes). */
export function defaultMemoryBudgetGb(ramGb: number): number {
  return Math.floor(ramGb * DEFAULT_MEMORY_SHARE);
}
