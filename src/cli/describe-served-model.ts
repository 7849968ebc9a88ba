import type { CompiledProfile } from "../compile/routing-table.js";
import { MIN_SAMPLES, type LearnedRates } from "../router/predict-ttft.js";
import { describeMeasuredEval } from "../setup/model-expectations.js";

/**
 * `mallex run`'s line on the model Claude Code is about to wait on: what mallex's eval measured it
 * to do, and the speeds this machine's own requests measured (once there are enough of them), so a
 * new user knows before the first minute-long answer. Undefined: nothing is known of it.
 */
export function describeServedModel(tier: string, profile: Pick<CompiledProfile, "name" | "model">, rates: LearnedRates | undefined): string | undefined {
  const measured = describeMeasuredEval(profile.name, profile.model);
  const speeds =
    rates !== undefined && rates.decode.length >= MIN_SAMPLES
      ? `measured here: ${rateOf(rates.prefill)} tokens/s prefill, ${rateOf(rates.decode)} tokens/s decode (median of its last ${rates.decode.length} requests)`
      : undefined;
  if (measured === undefined && speeds === undefined) return undefined;
  return `${tier} tier → ${profile.name}: ${[measured, speeds].filter((part) => part !== undefined).join("; ")}`;
}

function rateOf(samples: readonly number[]): string {
  if (samples.length === 0) return "?";
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return median < 10 ? median.toFixed(1) : String(Math.round(median));
}
