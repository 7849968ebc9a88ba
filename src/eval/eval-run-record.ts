import type { EvalRunRecord, EvalRunVariant } from "../observe/eval-history.js";
import { groupResults, type EvalReport } from "./eval-report.js";

export interface EvalRunFacts {
  /** The suite's tasks the run chose (loadSuite's, after `--task`). */
  tasks: number;
  /** The `--task` names, when given. */
  only?: readonly string[];
  /** This mallex's version. */
  mallex: string;
}

/**
 * Pure: a finished or interrupted report as the eval history keeps it (observe/eval-history.ts): per
 * variant that finished a task, its settings, what served it and its pass rate. Undefined when no task
 * finished: a run stopped before its first verdict scores nothing.
 */
export function evalRunRecord(report: EvalReport, facts: EvalRunFacts): EvalRunRecord | undefined {
  const groups = new Map(groupResults(report.tasks).map((group) => [group.variant, group]));
  const variants: EvalRunVariant[] = (report.variants ?? []).flatMap((settings) => {
    const group = groups.get(settings.variant);
    return group === undefined ? [] : [{ ...settings, passRate: group.pass_rate, passed: group.passed, total: group.total, runs: group.runs }];
  });
  if (variants.length === 0) return undefined;
  return {
    format: 1,
    date: report.startedAt,
    state: report.interrupted ? "interrupted" : "finished",
    suite: { path: report.suite, tasks: facts.tasks, ...(facts.only !== undefined && facts.only.length > 0 ? { only: [...facts.only] } : {}) },
    wallMs: report.wallMs,
    claudeCode: report.claudeCode,
    mallex: facts.mallex,
    variants,
  };
}
