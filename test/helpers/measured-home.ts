/**
 * What a MALLEX_HOME keeps of what mallex measured, written through the stores' own functions (never by
 * hand, so the files are the format mallex writes): each profile and model's speeds in ttft-rates.json,
 * and `mallex eval` runs in evals/.
 */
import { saveEvalRun, type EvalRunRecord, type EvalRunVariant } from "../../src/observe/eval-history.js";
import type { RateSample } from "../../src/observe/learn-rates.js";
import type { MeasuredServer } from "../../src/observe/measured-server.js";
import { createTtftRates, ttftRatesPath } from "../../src/observe/ttft-rates.js";

export const STARTED_BY_MALLEX = (flavor: string): MeasuredServer => ({ kind: "openai", flavor, url: "started by mallex" });

/** Teaches MALLEX_HOME's rates each sample of a profile and model, as finished requests would, at `at`; then writes them. */
export async function learnSpeeds(
  mallexHome: string,
  entries: ReadonlyArray<{ profile: string; model: string; server: MeasuredServer; samples: RateSample[]; at: string }>,
): Promise<void> {
  for (const entry of entries) {
    const rates = createTtftRates({
      file: ttftRatesPath(mallexHome),
      onError: (message) => {
        throw new Error(message);
      },
      now: () => Date.parse(entry.at),
    });
    for (const sample of entry.samples) rates.learn({ name: entry.profile, model: entry.model }, sample, entry.server);
    await rates.flush();
  }
}

/** One variant of an eval run: a model served by a profile mallex started, scored `passed` of `total`. */
export function evalVariant(model: string, passed: number, total: number, overrides: Partial<EvalRunVariant> = {}): EvalRunVariant {
  return {
    variant: "routing",
    profile: "coder",
    pinned: false,
    model,
    backend: "local",
    server: STARTED_BY_MALLEX("llama-server"),
    passRate: passed / total,
    passed,
    total,
    runs: [passed / total],
    ...overrides,
  };
}

/** Saves a finished `mallex eval` run of these variants, started at `date`, into MALLEX_HOME's history. */
export function saveRun(
  mallexHome: string,
  date: string,
  variants: EvalRunVariant[],
  suite: EvalRunRecord["suite"] = { path: "/pkg/eval/tasks", tasks: 4 },
): string {
  return saveEvalRun(mallexHome, { format: 1, date, state: "finished", suite, wallMs: 60_000, claudeCode: "2.1.197", mallex: "0.1.0", variants });
}
