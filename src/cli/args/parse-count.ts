import { MallexError } from "../../shared/mallex-error.js";

/** A whole-number flag (`--threads 4`): undefined when absent, a usage error (exit 2) when not a whole number ≥ min. */
export function parseCount(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new MallexError("E_USAGE", `${flag} must be a whole number ≥ ${min}, got "${value}"`, { exitCode: 2 });
  return n;
}
