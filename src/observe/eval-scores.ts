import type { EvalRunRecord, EvalRunVariant } from "./eval-history.js";

/** One variant of one run, as a model's score: its pass rate, when, on which suite, with which settings. */
export interface EvalScore extends Omit<EvalRunVariant, "model"> {
  /** The run's start (RFC 3339). */
  date: string;
  state: EvalRunRecord["state"];
  suite: EvalRunRecord["suite"];
  claudeCode: string;
  mallex: string;
}

/** A model's scores, newest first. */
export interface ModelEvalScores {
  /** The model as the runs named it: a Hugging Face id, a GGUF path, an hf: URI (eval-history.ts EvalServing). */
  model: string;
  scores: EvalScore[];
}

/**
 * Pure: the runs' scores per model (each variant is a score of the model that served it), ordered by
 * model; each model's scores in the runs' order (readEvalHistory's: newest first).
 */
export function evalScoresByModel(runs: readonly EvalRunRecord[]): ModelEvalScores[] {
  const byModel = new Map<string, EvalScore[]>();
  for (const run of runs)
    for (const { model, ...variant } of run.variants) {
      const score: EvalScore = { ...variant, date: run.date, state: run.state, suite: run.suite, claudeCode: run.claudeCode, mallex: run.mallex };
      byModel.set(model, [...(byModel.get(model) ?? []), score]);
    }
  return [...byModel].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([model, scores]) => ({ model, scores }));
}
