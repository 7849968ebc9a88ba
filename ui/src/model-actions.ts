import { TIER_ORDER } from "../../src/compile/routing-table.js";
import { el } from "./dom.js";
import { postJson } from "./post-action.js";
import { modelKey } from "./render-models.js";
import type { ListedModel, RemovedModel, TierChangeWritten, TierPlan } from "./types.js";

/** What `/ui/api/models/tier/apply` answers: the file written, and what the running mallex made of it. */
export interface TierChangeApplied extends TierChangeWritten {
  /** Whether this mallex serves the next request with the new tiers (false: a restart does). */
  served: boolean;
  /** Each tier's profile, as this mallex runs them now. */
  tiers: Record<string, string | undefined>;
  /** What waits for a restart, in words. */
  notes: string[];
}

/**
 * Where one model's action is: kept by the model's key while the list is drawn and read again, so a
 * plan shown stays shown. The steps under way (`planning`, `applying`, …) keep the row's buttons off.
 */
export type RowAction =
  | { step: "planning"; tier: string }
  | { step: "plan"; plan: TierPlan; applying: boolean }
  | { step: "applied"; applied: TierChangeApplied }
  /** The eval's form: what was chosen and typed is kept here, so a redraw of the list keeps it. */
  | { step: "eval"; starting: boolean; profile?: string; task?: string }
  | { step: "eval-started"; profile: string; tasks: string[] }
  | { step: "remove"; removing: boolean }
  | { step: "refused"; message: string };

export interface ModelActionsDeps {
  headers(): HeadersInit;
  /** Draws the list again (a row's action moved on). */
  redraw(): void;
  /** Reads the list again from mallex (a change was written, a model went). */
  reload(): Promise<void>;
  /** Shows the Eval tab, where an eval started here runs live. */
  showEval(): void;
  /** MALLEX_HOME/models as mallex sent it with the list: Remove is offered only for a model there. */
  modelsDir(): string | undefined;
}

/**
 * The Models tab's actions on each model: put it on a tier (the plan's diff first, then Apply or
 * Cancel), run the eval on a profile that uses it, remove one mallex keeps (confirmed first). A
 * refusal shows in the model's row as mallex's sentence, and nothing was changed.
 */
export function createModelActions(deps: ModelActionsDeps) {
  const rows = new Map<string, RowAction>();
  const set = (key: string, action: RowAction | undefined) => {
    if (action === undefined) rows.delete(key);
    else rows.set(key, action);
    deps.redraw();
  };
  const busy = (key: string) => {
    const action = rows.get(key);
    return (
      action !== undefined &&
      (action.step === "planning" ||
        (action.step === "plan" && action.applying) ||
        (action.step === "eval" && action.starting) ||
        (action.step === "remove" && action.removing))
    );
  };

  async function plan(model: ListedModel, tier: string): Promise<void> {
    const key = modelKey(model);
    set(key, { step: "planning", tier });
    // A model on disk by its file (mallex makes it a profile where none names it); a profile's model not here yet by its profile.
    const target = model.state === "on disk" && model.path !== null ? { model: model.path } : { profile: model.profiles[0] };
    const answer = await postJson<TierPlan>("/ui/api/models/tier/plan", { tier, ...target }, deps.headers);
    set(key, answer.ok ? { step: "plan", plan: answer.value, applying: false } : { step: "refused", message: answer.message });
  }

  async function apply(key: string, plan: TierPlan): Promise<void> {
    set(key, { step: "plan", plan, applying: true });
    const answer = await postJson<TierChangeApplied>("/ui/api/models/tier/apply", { hash: plan.hash, newText: plan.newText }, deps.headers);
    if (!answer.ok) return set(key, { step: "refused", message: answer.message });
    // The list read first: the panel that says the tier changed shows beside a row that says so too.
    try {
      await deps.reload();
    } finally {
      set(key, { step: "applied", applied: answer.value });
    }
  }

  async function startEval(key: string, profile: string, task: string): Promise<void> {
    set(key, { step: "eval", starting: true, profile, task });
    const answer = await postJson<{ profile: string; tasks: string[] }>("/ui/api/models/eval", { profile, ...(task === "" ? {} : { task }) }, deps.headers);
    set(key, answer.ok ? { step: "eval-started", ...answer.value } : { step: "refused", message: answer.message });
    if (answer.ok) deps.showEval();
  }

  async function remove(key: string, path: string): Promise<void> {
    set(key, { step: "remove", removing: true });
    const answer = await postJson<RemovedModel>("/ui/api/models/remove", { path }, deps.headers);
    if (!answer.ok) return set(key, { step: "refused", message: answer.message });
    // The list read again drops the model, and its action with it (keep); one still listed loses only the action.
    await deps.reload();
    if (rows.has(key)) set(key, undefined);
  }

  return {
    /** Fills a model's actions cell with what can be done to it. */
    buttons(model: ListedModel, cell: HTMLTableCellElement): void {
      const key = modelKey(model);
      const off = busy(key);
      if ((model.state === "on disk" && model.path !== null) || model.profiles.length > 0) {
        const choose = el("select", { className: "put-on-tier", title: "Put this model on a tier: the change to mallex.yaml is shown first" });
        choose.append(el("option", { text: "Put on tier…" }));
        choose.options[0]!.value = "";
        for (const tier of TIER_ORDER) {
          const option = el("option", { text: model.tiers.includes(tier) ? `${tier} (now)` : tier });
          option.value = tier;
          option.disabled = model.tiers.includes(tier);
          choose.append(option);
        }
        choose.disabled = off;
        choose.addEventListener("change", () => {
          if (choose.value !== "") void plan(model, choose.value);
        });
        cell.append(choose);
      }
      if (model.profiles.length > 0)
        cell.append(
          " ",
          button("Run eval", "run-eval", off, () => set(key, { step: "eval", starting: false })),
        );
      if (removable(model, deps.modelsDir()))
        cell.append(
          " ",
          button("Remove", "remove", off, () => set(key, { step: "remove", removing: false })),
        );
    },

    /** The row under a model's where its action shows; undefined when none is under way. */
    panel(model: ListedModel): HTMLElement | undefined {
      const key = modelKey(model);
      const action = rows.get(key);
      if (action === undefined) return undefined;
      const dismiss = (text = "Dismiss") => button(text, "dismiss", false, () => set(key, undefined));
      switch (action.step) {
        case "planning":
          return el("p", { className: "facts", text: `Planning ${model.name} on tier ${action.tier}…` });
        case "plan":
          return planPanel(action.plan, action.applying, () => void apply(key, action.plan), dismiss("Cancel"));
        case "applied":
          return appliedPanel(action.applied, dismiss());
        case "eval":
          return evalForm(model, action, (profile, task) => void startEval(key, profile, task), dismiss("Cancel"));
        case "eval-started":
          return el(
            "div",
            { className: "eval-started" },
            el("span", {
              text: `mallex eval of profile ${action.profile} started (${action.tasks.length === 1 ? `task ${action.tasks[0]}` : `${action.tasks.length} tasks`}): it runs live on the `,
            }),
            button("Eval tab", "show-eval", false, deps.showEval),
            el("span", { text: "; its score shows here when it ends. " }),
            dismiss(),
          );
        case "remove":
          return el(
            "div",
            { className: "confirm-remove" },
            el("span", { text: `Remove ${model.path}? The file is deleted from this machine. ` }),
            button(action.removing ? "Removing…" : "Remove", "confirm", action.removing, () => void remove(key, model.path!)),
            " ",
            dismiss("Cancel"),
          );
        case "refused":
          return el("div", {}, el("p", { className: "refusal error", text: action.message }), dismiss());
      }
    },

    /** Forgets the actions of models no longer listed (removed, renamed). */
    keep(keys: ReadonlySet<string>): void {
      for (const key of rows.keys()) if (!keys.has(key)) rows.delete(key);
    },
  };
}

/** A GGUF mallex keeps (under MALLEX_HOME/models) that no tier uses: mallex itself says no to a link or a part of another model. */
function removable(model: ListedModel, modelsDir: string | undefined): boolean {
  if (modelsDir === undefined || model.path === null || model.format !== "gguf" || model.tiers.length > 0) return false;
  if (model.state === "not here" || model.state === "not downloaded" || model.state === "missing") return false;
  return model.path.startsWith(`${modelsDir}/`) || model.path.startsWith(`${modelsDir}\\`);
}

function planPanel(plan: TierPlan, applying: boolean, apply: () => void, cancel: HTMLElement): HTMLElement {
  const what = `Put profile ${plan.profile} on tier ${plan.tier}${plan.from === null ? "" : ` (now ${plan.from})`}${plan.added === null ? "" : `, adding profile ${plan.added.name}`}: this change to ${plan.file}, not written yet:`;
  const diff = el("pre", { className: "diff" });
  for (const line of plan.diff.replace(/\n$/, "").split("\n"))
    diff.append(
      el("span", {
        className: /^(\+\+\+|---)/.test(line) ? "file" : line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "",
        text: `${line}\n`,
      }),
    );
  return el("div", { className: "plan" }, el("p", { text: what }), diff, button(applying ? "Writing…" : "Apply", "apply", applying, apply), " ", cancel);
}

function appliedPanel(applied: TierChangeApplied, dismiss: HTMLElement): HTMLElement {
  const tiers = Object.entries(applied.tiers)
    .map(([tier, profile]) => `${tier} → ${profile ?? "—"}`)
    .join(", ");
  return el(
    "div",
    { className: "applied" },
    el("p", {
      className: "ok",
      text: `Written to ${applied.file} (the file before is kept as ${applied.backup}). ${applied.served ? `This mallex serves the next request with it: ${tiers}.` : "This mallex serves it once it starts again."}`,
    }),
    ...(applied.notes.length === 0 ? [] : [el("ul", { className: "notes" }, ...applied.notes.map((note) => el("li", { text: note })))]),
    dismiss,
  );
}

function evalForm(
  model: ListedModel,
  draft: Extract<RowAction, { step: "eval" }>,
  start: (profile: string, task: string) => void,
  cancel: HTMLElement,
): HTMLElement {
  const profile = el("select", { className: "eval-profile" });
  for (const name of model.profiles) profile.append(el("option", { text: name }));
  if (draft.profile !== undefined && model.profiles.includes(draft.profile)) profile.value = draft.profile;
  const task = el("input", { className: "eval-task" });
  task.type = "text";
  task.placeholder = "every task of the suite";
  task.spellcheck = false;
  task.value = draft.task ?? "";
  profile.disabled = task.disabled = draft.starting;
  profile.addEventListener("change", () => (draft.profile = profile.value));
  task.addEventListener("input", () => (draft.task = task.value));
  const go = el("button", { className: "action start-eval", text: draft.starting ? "Starting…" : "Start" });
  go.type = "submit";
  go.disabled = draft.starting;
  const form = el(
    "form",
    { className: "eval-form" },
    el("span", { text: "Run mallex eval through this mallex on " }),
    el("label", { text: "profile " }, profile),
    " ",
    el("label", { text: "task " }, task),
    " ",
    go,
    " ",
    cancel,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    start(profile.value, task.value.trim());
  });
  return form;
}

function button(text: string, className: string, disabled: boolean, onClick: () => void): HTMLButtonElement {
  const node = el("button", { className: `action ${className}`, text });
  node.type = "button";
  node.disabled = disabled;
  node.addEventListener("click", onClick);
  return node;
}
