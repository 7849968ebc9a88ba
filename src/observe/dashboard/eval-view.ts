/** What the dashboard needs of a `mallex eval` report to mask it; the report itself is mallex eval's (src/eval/eval-report.ts). */
export interface MaskableEvalReport {
  tasks: ReadonlyArray<{ answer?: string; checker: { output: string } }>;
}

/**
 * An eval run as the dashboard shows it: where it is (task n of N, the turn) and the report so
 * far; when it ended, how. Sent on /ui/events by the eval's own proxy, and saved as the last
 * report under MALLEX_HOME for any later mallex's dashboard. Generic in its report, so that the
 * dashboard (below eval/ in the layout) carries it without importing what an eval is.
 */
export interface EvalView<Report extends MaskableEvalReport = MaskableEvalReport> {
  state: "running" | "finished" | "interrupted" | "failed";
  /** The task under way (running only). */
  current?: { index: number; of: number; task: string; variant?: string; run?: number; turn: number };
  report: Report;
  /** What stopped a failed run. */
  error?: string;
}

/**
 * Pure: the view without the model's final answers (the dashboard shows no prompt or answer text
 * unless observability.dashboard_prompts says so) and without the checkers' full output (each
 * failure's `why` keeps its words).
 */
export function maskEvalView<Report extends MaskableEvalReport>(view: EvalView<Report>): EvalView<Report> {
  const tasks = view.report.tasks.map(({ answer: _answer, ...task }) => ({ ...task, checker: { ...task.checker, output: "" } }));
  return { ...view, report: { ...view.report, tasks } as Report };
}
