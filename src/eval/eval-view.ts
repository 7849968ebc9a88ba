import type { EvalReport } from "./eval-report.js";

/**
 * An eval run as the dashboard shows it: where it is (task n of N, the turn) and the report so
 * far; when it ended, how. Sent on /ui/events by the eval's own proxy, and saved as the last
 * report under MALLEX_HOME for any later mallex's dashboard.
 */
export interface EvalView {
  state: "running" | "finished" | "interrupted" | "failed";
  /** The task under way (running only). */
  current?: { index: number; of: number; task: string; variant?: string; run?: number; turn: number };
  report: EvalReport;
  /** What stopped a failed run. */
  error?: string;
}

/**
 * Pure: the view without the model's final answers (the dashboard shows no prompt or answer text
 * unless observability.dashboard_prompts says so) and without the checkers' full output (each
 * failure's `why` keeps its words).
 */
export function maskEvalView(view: EvalView): EvalView {
  return { ...view, report: { ...view.report, tasks: view.report.tasks.map(({ answer: _answer, ...task }) => ({ ...task, checker: { ...task.checker, output: "" } })) } };
}
