import type { EvalView as ShownEvalView } from "../observe/dashboard/eval-view.js";
import type { EvalReport } from "./eval-report.js";

/** An eval run as the dashboard shows it (observe/dashboard/eval-view.ts), with this command's report. */
export type EvalView = ShownEvalView<EvalReport>;
