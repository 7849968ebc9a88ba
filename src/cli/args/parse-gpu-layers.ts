import { MallexError } from "../../shared/mallex-error.js";

/** `--gpu-layers N|auto|max` (llama-server's flag): undefined when absent, a usage error (exit 2) when none of those. */
export function parseGpuLayers(value: string | undefined): number | "auto" | "max" | undefined {
  if (value === undefined || value === "auto" || value === "max") return value;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new MallexError("E_USAGE", `--gpu-layers must be a whole number ≥ 0, auto or max, got "${value}"`, { exitCode: 2 });
  return n;
}
