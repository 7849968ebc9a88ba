import { join } from "node:path";
import { makePrivateDir } from "../../shared/files/private-files.js";
import { writeFileAtomic } from "../../shared/files/write-file-atomic.js";
import type { EvalView } from "./eval-view.js";

/** Where `mallex eval` keeps its last run (the full view: MALLEX_HOME is private), for the dashboard of any later mallex. */
export function lastEvalPath(mallexHome: string): string {
  return join(mallexHome, "last-eval.json");
}

/** Writes it whole or not at all; a failure is the caller's to report (it costs the dashboard, never the run). */
export function saveLastEval(mallexHome: string, view: EvalView): void {
  makePrivateDir(mallexHome);
  writeFileAtomic(lastEvalPath(mallexHome), `${JSON.stringify(view)}\n`);
}
