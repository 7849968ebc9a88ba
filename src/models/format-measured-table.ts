import type { MeasuredServer } from "../observe/measured-server.js";
import type { MeasuredSpeed } from "../observe/measured-speeds.js";
import type { ListedModel, ModelEvalScore } from "./model-entry.js";

const HEADER = ["measured here", "prefill", "decode", "ttft", "served by", "latest eval", "evals"];

/**
 * `mallex models`' second table: each model this machine measured or evaluated, one line per profile
 * and server its speed was measured on (the most recent first), its latest eval score with its date
 * and the number of runs that scored it. Pure; `escape` makes a cell safe to print (names come from files).
 *
 *   measured here               prefill     decode      ttft    served by                               latest eval                    evals
 *   SmolLM2-135M-Instruct.Q4_1  2,000 tok/s  55.5 tok/s  0.41 s  chat: llama-server (started by mallex)  75% (3 of 4) on 2025-06-02  2 runs
 */
export function formatMeasuredTable(models: readonly ListedModel[], escape: (text: string) => string = (text) => text): string[] {
  const measured = models.filter((model) => model.measured.length > 0 || model.evals.length > 0);
  if (measured.length === 0)
    return ["Nothing measured here yet: mallex learns each model's speed from the requests it serves, and `mallex eval` scores a model on real tasks."];
  const rows = measured.flatMap((model) => rowsOf(model).map((row) => row.map(escape)));
  const widths = HEADER.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  return [HEADER, ...rows].map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
}

function rowsOf(model: ListedModel): string[][] {
  const latest = model.evals[0];
  const evalCells = latest === undefined ? ["-", "-"] : [describeScore(latest), countRuns(model.evals)];
  const speeds: Array<MeasuredSpeed | undefined> = model.measured.length > 0 ? model.measured : [undefined];
  return speeds.map((speed, i) => [i === 0 ? model.name : "", ...speedCells(speed), ...(i === 0 ? evalCells : ["", ""])]);
}

function speedCells(speed: MeasuredSpeed | undefined): string[] {
  if (speed === undefined) return ["-", "-", "-", "-"];
  return [
    speed.prefillTps === undefined ? "-" : `${speed.prefillTps.toLocaleString("en-US")} tok/s`,
    speed.decodeTps === undefined ? "-" : `${speed.decodeTps} tok/s`,
    speed.ttftMs === undefined ? "-" : `${(speed.ttftMs / 1000).toFixed(2)} s`,
    `${speed.profile}${speed.server === undefined ? "" : `: ${describeMeasuredServer(speed.server)}`}`,
  ];
}

/** "llama-server (started by mallex)", "embedded engine", "ollama at http://127.0.0.1:11434/v1". */
export function describeMeasuredServer(server: MeasuredServer): string {
  if (server.url === "embedded") return "embedded engine";
  if (server.url === "started by mallex") return `${server.flavor} (started by mallex)`;
  return `${server.flavor} at ${server.url}`;
}

/** "75% (3 of 4) on 2025-06-02", with the variant when the run compared several ("…, trim off"). */
export function describeScore(score: ModelEvalScore): string {
  const variant = score.variant === "routing" ? "" : `, ${score.variant}`;
  return `${Math.round(score.passRate * 100)}% (${score.passed} of ${score.total}) on ${score.date.slice(0, 10)}${variant}${score.state === "interrupted" ? " (stopped)" : ""}`;
}

/** The runs that scored it ("2 runs"): a run that compared two of its variants is one run. */
export function countRuns(scores: readonly ModelEvalScore[]): string {
  const runs = new Set(scores.map((score) => score.date)).size;
  return `${runs} run${runs === 1 ? "" : "s"}`;
}
