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

const GB = 1024 ** 3;

/** 12_992_276_480 → "12.1 GB" (GiB, as Activity Monitor and the budget count them). */
export function formatGb(bytes: number): string {
  return `${Number((bytes / GB).toFixed(1))} GB`;
}

/** Sizes a profile declares rather than measures (model-sizes.ts). */
export const ESTIMATES: ReadonlySet<string> = new Set(["min_ram_gb", "params_b"]);

/**
 * The size a budget counts for a server, from the best known one, and why it is not that one:
 * `estimate-over-budget` (a declared figure larger than the whole budget, counted as the budget),
 * `unknown` (nothing known, counted as 0).
 */
export function countedSize(size: ServerSize | undefined, budgetBytes: number): { size: ServerSize; because?: "estimate-over-budget" | "unknown" } {
  // A declared figure (min_ram_gb is "comfortable", params_b a guess) over the budget is no reason
  // to refuse a model that may well fit: it runs alone, and its measured size decides from then on.
  if (size && ESTIMATES.has(size.source) && size.bytes > budgetBytes) {
    return {
      size: { bytes: budgetBytes, source: `${size.source} ${formatGb(size.bytes)}, capped to the budget until measured` },
      because: "estimate-over-budget",
    };
  }
  if (size) return { size };
  return { size: { bytes: 0, source: "unknown" }, because: "unknown" };
}
