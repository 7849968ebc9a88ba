import { el } from "./dom.js";
import type { EvalGroup, EvalTaskResult, EvalView } from "./types.js";

const percent = (rate: number) => `${Math.round(rate * 100)}%`;
const secs = (ms: number | undefined) => (ms === undefined ? "—" : `${(ms / 1000).toFixed(1)} s`);
const tokens = (prompt: number, cached: number) => `${prompt} (${cached} cached)`;
const calls = (made: number, failed: number, repaired: number, rejected: number) => `${made} (${failed} failed, ${repaired} repaired, ${rejected} rejected)`;

/**
 * The Eval tab: where `mallex eval` is (task n of N, its turn) or how it ended, one row per
 * variant (pass rate and spread, where the time went) and one per task (the checker's verdict and,
 * for a failure, why). `source` says whether it is the run this mallex serves or the last one saved.
 */
export function renderEval(root: HTMLElement, view: EvalView | undefined, source: "live" | "saved" | "none"): void {
  if (view === undefined) {
    root.replaceChildren(
      el("p", {
        className: "empty",
        text: source === "none" ? "No eval has run here: mallex eval shows its run on this tab while it runs, and its last report afterwards." : "Loading…",
      }),
    );
    return;
  }
  const r = view.report;
  const state =
    view.state === "running" && view.current !== undefined
      ? `running: task ${view.current.index} of ${view.current.of} — ${view.current.task}${view.current.variant !== undefined ? ` (${view.current.variant})` : ""}${view.current.run !== undefined ? ` #${view.current.run}` : ""}, turn ${view.current.turn}`
      : `${view.state}${view.error !== undefined ? `: ${view.error}` : ""}`;
  const head = el(
    "div",
    { className: "eval-head" },
    el("span", { className: `state eval-${view.state}`, text: view.state }),
    " ",
    el("strong", { className: "eval-progress", text: state }),
    el("div", {
      className: "facts",
      text: `${source === "saved" ? "last run, saved · " : ""}passed ${r.passed} of ${r.total} (${percent(r.pass_rate)})${r.planned > r.total ? ` · ${r.planned - r.total} to go` : ""} · Claude Code ${r.claudeCode} → ${r.backend} · started ${r.startedAt}`,
    }),
  );
  const parts: Node[] = [head];
  if (r.groups !== undefined && r.groups.length > 0)
    parts.push(
      el("h3", { text: "Variants" }),
      table(
        [
          "variant",
          "passed",
          "spread over runs",
          "wall",
          "turns",
          "tool calls",
          "prompt tok",
          "out tok",
          "mean ttft",
          "prefill",
          "decode",
          "tools + client",
          "to Claude",
        ],
        r.groups.map(groupRow),
        "eval-groups",
      ),
    );
  parts.push(
    el("h3", { text: "Tasks" }),
    table(
      ["task", "variant", "result", "turns", "tool calls", "prompt tok", "out tok", "ttft", "wall", "to Claude", "why"],
      r.tasks.map(taskRow),
      "eval-tasks",
    ),
  );
  if (r.tasks.length === 0) parts.push(el("p", { className: "empty", text: "No task has finished yet." }));
  root.replaceChildren(...parts);
}

function table(headers: readonly string[], rows: HTMLTableRowElement[], id: string): HTMLElement {
  const body = el("tbody");
  body.id = id;
  body.append(...rows);
  return el("div", { className: "scroll" }, el("table", {}, el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { text: h })))), body));
}

function groupRow(g: EvalGroup): HTMLTableRowElement {
  const t = g.totals;
  const row = el(
    "tr",
    {},
    el("td", { text: g.variant }),
    el("td", { className: "num", text: `${g.passed} of ${g.total} (${percent(g.pass_rate)})` }),
    el("td", { className: "num", text: g.runs.length > 1 ? `${percent(g.min)}–${percent(g.max)} (${g.runs.length} runs)` : "—" }),
    el("td", { className: "num", text: secs(t.wallMs) }),
    el("td", { className: "num", text: String(t.turns) }),
    el("td", { className: "num", text: calls(t.toolCalls, t.failedToolCalls, t.repairedToolCalls, t.rejectedToolCalls) }),
    el("td", { className: "num", text: tokens(t.promptTokens, t.cachedTokens) }),
    el("td", { className: "num", text: String(t.outputTokens) }),
    el("td", { className: "num", text: secs(t.meanTtftMs) }),
    el("td", { className: "num", text: secs(t.prefillMs) }),
    el("td", { className: "num", text: secs(t.decodeMs) }),
    el("td", { className: "num", text: secs(t.toolsAndClientMs) }),
    el("td", { className: "num", text: String(t.escalations) }),
  );
  row.dataset.variant = g.variant;
  return row;
}

function taskRow(t: EvalTaskResult): HTMLTableRowElement {
  const m = t.metrics;
  const row = el(
    "tr",
    { className: t.passed ? "" : "bad" },
    el("td", { text: t.task, ...(t.about !== undefined ? { title: t.about } : {}) }),
    el("td", { text: `${t.variant ?? "—"}${t.run !== undefined ? ` #${t.run}` : ""}` }),
    el("td", { className: t.passed ? "pass" : "fail", text: t.passed ? "pass" : "FAIL" }),
    el("td", { className: "num", text: String(t.turns) }),
    el("td", { className: "num", text: calls(t.toolCalls, t.failedToolCalls, t.repairedToolCalls, t.rejectedToolCalls) }),
    el("td", { className: "num", text: tokens(m.promptTokens, m.cachedTokens) }),
    el("td", { className: "num", text: String(m.outputTokens) }),
    el("td", { className: "num", text: secs(m.meanTtftMs) }),
    el("td", { className: "num", text: secs(t.wallMs) }),
    el("td", { className: "num", text: String(m.escalations) }),
    el("td", { className: "why", text: t.why ?? "" }),
  );
  row.dataset.task = t.task;
  row.dataset.passed = String(t.passed);
  return row;
}
