import { formatDuration } from "./format-model-table.js";
import { ASSUMED_LINK_MBPS, formatSpeed, type ModelRow } from "./recommend-for-machine.js";
import { type LocalProfile } from "./recommend-profile.js";

/**
 * What `mallex eval` measured a shipped profile to do through the real Claude Code, on the suite
 * shipped with mallex (eval/suite): each run's command and table are in docs/eval.md, which a test
 * holds these figures to.
 */
export interface MeasuredEval {
  profile: string;
  /** The model's name as its files are named (a GGUF given to --embedded is the same model). */
  model: RegExp;
  total: number;
  /** Tasks passed in the best run, and in the latest one. */
  best: number;
  latest: number;
  date: string;
  where: string;
}

export const MEASURED_EVALS: readonly MeasuredEval[] = [
  {
    profile: "gguf-qwen2.5-coder-1.5b",
    model: /qwen2\.5-coder-1\.5b-instruct/i,
    total: 13,
    best: 7,
    latest: 7,
    date: "2026-11-28",
    where: "2 x86 cores, embedded engine",
  },
];

/** "finished 7 of 13 … (…)", or "7 of 13 at best, 6 in the latest run" where they differ; undefined: never measured. */
export function describeMeasuredEval(profileName: string, model?: string, evals = MEASURED_EVALS): string | undefined {
  const measured = measuredEvalOf(profileName, model, evals);
  if (measured === undefined) return undefined;
  const runs =
    measured.best === measured.latest
      ? `${measured.best} of ${measured.total}`
      : `${measured.best} of ${measured.total} at best, ${measured.latest} in the latest run`;
  return `finished ${runs} of mallex's eval tasks through Claude Code (${measured.where}, ${measured.date}; docs/eval.md)`;
}

/**
 * What `mallex init` says of the model it wrote, before anyone waits on it: what it was measured to
 * do (or that it never was, and how to measure it), its speed here, and the next size up with its cost.
 */
export function describeExpectation(profile: LocalProfile, rows: readonly ModelRow[], mallex: string): string[] {
  const row = rows.find((candidate) => candidate.profile.name === profile.name);
  const speed = row?.speed ? `, ${formatSpeed(row.speed)} tokens/s here (estimated)` : "";
  const measured = measuredEvalOf(profile.name);
  const lines = [
    measured === undefined
      ? `What to expect: ${profile.name} has not been through mallex's eval yet${speed}; \`${mallex} eval\` measures it on this machine.`
      : `What to expect: ${profile.name} ${describeMeasuredEval(profile.name)}${speed}.${measured.best * 2 < measured.total ? " Enough to try mallex; not yet to work with." : ""}`,
  ];
  const next = rows.find((candidate) => candidate.profile.minRamGb > profile.minRamGb);
  if (next !== undefined) {
    const costs = [
      `needs ${next.profile.minRamGb} GB${next.fits ? "" : " (more than this machine has)"}`,
      ...(next.downloadGb !== undefined
        ? [
            `a ${next.downloadGb} GB download${next.downloadSeconds !== undefined ? ` (${formatDuration(next.downloadSeconds)} at ${ASSUMED_LINK_MBPS} Mbit/s)` : ""}`,
          ]
        : []),
      ...(next.speed ? [`${formatSpeed(next.speed)} tokens/s here`] : []),
    ];
    const nextMeasured = describeMeasuredEval(next.profile.name);
    lines.push(
      `Next size up: ${next.profile.name} — ${costs.join(", ")}${nextMeasured ? `; it ${nextMeasured}` : ""}: \`${mallex} init --force --model ${next.profile.name}\`.`,
    );
  }
  return lines;
}

function measuredEvalOf(profileName: string, model?: string, evals = MEASURED_EVALS): MeasuredEval | undefined {
  return evals.find((entry) => entry.profile === profileName || (model !== undefined && entry.model.test(model)));
}

/** What this machine's own requests measured of a model (the learned rates: tokens/s, newest last). */
export interface MeasuredRates {
  prefill: readonly number[];
  decode: readonly number[];
}

/**
 * `mallex run`'s line on the model Claude Code is about to wait on: what mallex's eval measured it
 * to do, and the speeds this machine's own requests measured (once there are `minSamples` of them),
 * so a new user knows before the first minute-long answer. Undefined: nothing is known of it.
 */
export function describeServedModel(
  tier: string,
  profile: { name: string; model: string },
  rates: MeasuredRates | undefined,
  options: { minSamples: number; profiles: readonly LocalProfile[]; mallex: string; evals?: readonly MeasuredEval[] },
): string | undefined {
  const measured = measuredEvalOf(profile.name, profile.model, options.evals);
  const speeds =
    rates !== undefined && rates.decode.length >= options.minSamples
      ? `measured here: ${medianRate(rates.prefill)} tokens/s prefill, ${medianRate(rates.decode)} tokens/s decode (median of its last ${rates.decode.length} requests)`
      : undefined;
  if (measured === undefined && speeds === undefined) return undefined;
  // A model measured to finish few tasks: the next size up, and what it costs, where the config has one.
  const current = options.profiles.find((candidate) => candidate.name === profile.name);
  const next =
    current === undefined ? undefined : options.profiles.find((candidate) => candidate.backend === current.backend && candidate.minRamGb > current.minRamGb);
  const weak = measured !== undefined && measured.best * 2 < measured.total;
  const nextSize =
    weak && next !== undefined
      ? `the next size up, ${next.name}, needs ${next.minRamGb} GB${next.downloadGb !== undefined ? ` and a ${next.downloadGb} GB download` : ""} (\`${options.mallex} init --force --model ${next.name}\`)`
      : undefined;
  const parts = [describeMeasuredEval(profile.name, profile.model, options.evals), speeds, nextSize].filter((part) => part !== undefined);
  return `${tier} tier → ${profile.name}: ${parts.join("; ")}`;
}

function medianRate(samples: readonly number[]): string {
  if (samples.length === 0) return "?";
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return median < 10 ? median.toFixed(1) : String(Math.round(median));
}
