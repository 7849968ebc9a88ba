// The same words as `mallex models`: its pure formatters, bundled into the page (they import nothing of Node).
import { countRuns, describeMeasuredServer, describeScore } from "../../src/models/format-measured-table.js";
import { modelCells } from "../../src/models/format-models-table.js";
import { el } from "./dom.js";
import { perSecond, seconds } from "./format.js";
import type { ListedModel, MeasuredSpeed, ModelEvalScore } from "./types.js";

const HEADERS = ["model", "format", "arch", "params", "quant", "size", "context", "fits", "used by", "state", "prefill", "decode", "ttft", "latest eval", ""];
/** Each fact column's class (modelCells' order), so a test or a style finds a cell by what it holds. */
const FACT_CLASSES = ["format", "arch", "params", "quant", "size", "context", "fits", "use", "model-state"];

export interface ModelsViewOptions {
  /** The models whose details row is open, by {@link modelKey}: kept while the list is loaded again. */
  open: ReadonlySet<string>;
  onToggle(key: string): void;
  /**
   * Fills a model's actions cell (`td.actions`, the row's last) with its buttons (model-actions.ts: put it
   * on a tier, run an eval, remove it). Without it the cell stays empty.
   */
  actions?: (model: ListedModel, cell: HTMLTableCellElement) => void;
  /** What an action on the model shows (a plan's diff, a refusal, a confirmation), as a row of its own under the model's; undefined: none. */
  panel?: (model: ListedModel) => HTMLElement | undefined;
}

/** A model's key on the page: its file or folder, else (a model with no path here) its name. */
export function modelKey(model: ListedModel): string {
  return model.path ?? `name:${model.name}`;
}

/**
 * The Models tab: every model of this machine and of the config (what `mallex models` lists), a row
 * each with what its files say, the tiers using it, its speed measured here and its latest eval score;
 * a click on a row opens its details: every speed measured (profile, server, requests) and its eval
 * history (date, suite, settings, score). `models` undefined: still loading.
 */
export function renderModels(root: HTMLElement, models: readonly ListedModel[] | undefined, options: ModelsViewOptions): void {
  if (models === undefined) {
    root.replaceChildren(el("p", { className: "empty", text: "Loading… (reading each model's header can take a second)" }));
    return;
  }
  if (models.length === 0) {
    root.replaceChildren(
      el("p", {
        className: "empty",
        text: "No models: no GGUF in MALLEX_HOME/models, no model in the Hugging Face cache, no profile on a server mallex starts, and nothing measured here.",
      }),
    );
    return;
  }
  const body = el("tbody");
  body.id = "models";
  for (const model of models) {
    const key = modelKey(model);
    const open = options.open.has(key);
    body.append(modelRow(model, key, open, options));
    const panel = options.panel?.(model);
    if (panel !== undefined) body.append(fullRow("model-action", key, panel));
    if (open) body.append(detailsRow(model, key));
  }
  const table = el("table", {}, el("thead", {}, el("tr", {}, ...HEADERS.map((h) => el("th", { text: h })))), body);
  root.replaceChildren(el("div", { className: "scroll" }, table));
}

function modelRow(model: ListedModel, key: string, open: boolean, options: ModelsViewOptions): HTMLTableRowElement {
  const [name, ...facts] = modelCells(model);
  const toggle = el("button", { className: "toggle", text: `${open ? "▾" : "▸"} ${name}`, title: model.path ?? "not on this machine" });
  toggle.type = "button";
  toggle.setAttribute("aria-expanded", String(open));
  const speed = model.measured[0];
  const speedTitle =
    speed === undefined ? "" : `${describeSpeedSource(speed)}${model.measured.length > 1 ? ` (and ${model.measured.length - 1} more: open the row)` : ""}`;
  const latest = model.evals[0];
  const actions = el("td", { className: "actions" });
  actions.dataset.key = key;
  const row = el(
    "tr",
    { className: `model${model.problem !== null && model.state !== "not downloaded" ? " bad" : ""}` },
    el("td", { className: "name" }, toggle),
    // modelCells' last cell is the path: in the toggle's title and the details.
    ...facts.slice(0, FACT_CLASSES.length).map((text, i) => el("td", { className: `${FACT_CLASSES[i]}${i < 6 ? " num" : ""}`, text })),
    el("td", { className: "prefill num", text: perSecond(speed?.prefillTps), title: speedTitle }),
    el("td", { className: "decode num", text: perSecond(speed?.decodeTps), title: speedTitle }),
    el("td", { className: "ttft num", text: seconds(speed?.ttftMs), title: speedTitle }),
    el("td", { className: "eval", text: latest === undefined ? "—" : `${describeScore(latest)} · ${countRuns(model.evals)}` }),
    actions,
  );
  row.dataset.key = key;
  row.dataset.name = model.name;
  row.dataset.state = model.state;
  row.addEventListener("click", (event) => {
    // A click on an action is the action's, not the row's.
    if ((event.target as HTMLElement).closest("td.actions") === null) options.onToggle(key);
  });
  options.actions?.(model, actions);
  return row;
}

function detailsRow(model: ListedModel, key: string): HTMLTableRowElement {
  const parts: Node[] = [el("div", { className: "facts", text: `${model.format} ${model.path === null ? "not on this machine" : `at ${model.path}`}` })];
  if (model.problem !== null) parts.push(el("div", { className: "problem", text: `${model.state}: ${model.problem}` }));
  parts.push(el("h4", { text: "Measured here" }));
  parts.push(
    model.measured.length === 0
      ? el("p", { className: "empty", text: "No request has measured it yet: mallex learns a model's speed from the requests it serves." })
      : subTable(["profile", "served by", "prefill", "decode", "ttft", "requests", "last"], model.measured.map(speedRow), "speeds"),
  );
  parts.push(el("h4", { text: "Eval history" }));
  parts.push(
    model.evals.length === 0
      ? el("p", { className: "empty", text: "No mallex eval has scored it here." })
      : subTable(["date", "score", "suite", "settings", "served by", "named"], model.evals.map(scoreRow), "evals"),
  );
  return fullRow("model-details", key, ...parts);
}

/** A row under a model's, one cell across the table. */
function fullRow(className: string, key: string, ...parts: Node[]): HTMLTableRowElement {
  const cell = el("td", {}, ...parts);
  cell.colSpan = HEADERS.length;
  const row = el("tr", { className }, cell);
  row.dataset.key = key;
  return row;
}

function speedRow(speed: MeasuredSpeed): HTMLTableRowElement {
  return el(
    "tr",
    {},
    el("td", { text: speed.profile }),
    el("td", { text: speed.server === undefined ? "—" : describeMeasuredServer(speed.server) }),
    el("td", { className: "num", text: perSecond(speed.prefillTps) }),
    el("td", { className: "num", text: perSecond(speed.decodeTps) }),
    el("td", { className: "num", text: seconds(speed.ttftMs) }),
    el("td", {
      className: "num",
      text: `${speed.samples.prefill} / ${speed.samples.decode} / ${speed.samples.ttft}`,
      title: "samples: prefill / decode / ttft",
    }),
    el("td", { className: "num", text: speed.lastAt === undefined ? "—" : speed.lastAt.slice(0, 16).replace("T", " ") }),
  );
}

function scoreRow(score: ModelEvalScore): HTMLTableRowElement {
  const suite = `${score.suite.path.split(/[\\/]/).pop() ?? score.suite.path}: ${score.suite.only?.join(", ") ?? `${score.suite.tasks} tasks`}`;
  const settings = [
    score.variant,
    `profile ${score.profile}${score.pinned ? " (pinned)" : ""}`,
    ...(score.trim !== undefined ? [`trim ${score.trim}`] : []),
    ...(score.escalation !== undefined ? [`escalation ${score.escalation}`] : []),
    ...(score.config !== undefined ? [`config ${score.config}`] : []),
  ].join(", ");
  const row = el(
    "tr",
    {},
    el("td", { className: "num", text: score.date.slice(0, 16).replace("T", " ") }),
    el("td", {
      className: "num score",
      text: `${Math.round(score.passRate * 100)}% (${score.passed} of ${score.total})${score.state === "interrupted" ? " stopped" : ""}`,
    }),
    el("td", { text: suite, title: score.suite.path }),
    el("td", { text: settings }),
    el("td", { text: describeMeasuredServer(score.server) }),
    el("td", { text: score.model }),
  );
  row.dataset.date = score.date;
  return row;
}

function subTable(headers: readonly string[], rows: HTMLTableRowElement[], className: string): HTMLElement {
  return el("table", { className }, el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { text: h })))), el("tbody", {}, ...rows));
}

function describeSpeedSource(speed: MeasuredSpeed): string {
  return `profile ${speed.profile}${speed.server === undefined ? "" : ` on ${describeMeasuredServer(speed.server)}`}: medians of ${speed.samples.ttft} recent requests`;
}
