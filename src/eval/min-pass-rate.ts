import { MallexError } from "../shared/mallex-error.js";
import type { EvalReport } from "./eval-report.js";

/** Pure: `--min-pass-rate` as a fraction — `0.6` or `60%`; a bare number above 1 is refused, since it could mean either. */
export function parseMinPassRate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const percent = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
  const rate = percent ? Number(percent[1]) / 100 : /^\s*\d*\.?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isNaN(rate) || rate > 1)
    throw new MallexError("E_USAGE", `--min-pass-rate takes a fraction from 0 to 1 or a percentage: 0.6 or 60%, got "${value}"`, { exitCode: 2 });
  return rate;
}

/**
 * Pure: what falls short of the minimum — the run, or with variants compared each variant on its own
 * (a comparison's weaker side must not hide behind the stronger one's score). Empty: the run meets it.
 */
export function belowMinPassRate(report: EvalReport, min: number): string[] {
  const rows =
    report.groups !== undefined && report.groups.length > 1
      ? report.groups.map((g) => ({ label: `variant ${g.variant}`, ...g }))
      : [{ label: "the run", ...report }];
  return rows
    .filter((row) => row.pass_rate < min)
    .map((row) => `${row.label}: ${row.passed} of ${row.total} passed (${Math.round(row.pass_rate * 1000) / 10}%)`);
}
