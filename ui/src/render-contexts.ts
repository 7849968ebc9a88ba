import { el } from "./dom.js";
import type { ContextSummary } from "./types.js";

/**
 * One card per local profile a request can reach: who uses it (a profile only an alias reaches is
 * marked unused, not shown as a tier's), the context window and prompt budget in effect, and where
 * the window comes from — its server's facts, the config, the engine's context size — with the
 * declared window a server lowered. Hidden when there is none, or the mallex is older than them.
 */
export function renderContexts(panel: HTMLElement, root: HTMLElement, contexts: readonly ContextSummary[]): void {
  panel.hidden = contexts.length === 0;
  root.replaceChildren(
    ...contexts.map((c) => {
      const window = c.contextWindow === undefined ? "context unknown" : `${c.contextWindow} tokens`;
      const budget = c.inputBudget === undefined ? "no prompt budget" : `prompt budget ${c.inputBudget}`;
      // An older mallex sends no usedBy: its cards are shown as before, none marked unused.
      const unused = c.usedBy !== undefined && c.usedBy.length === 0;
      const card = el(
        "div",
        { className: `server context${c.declared === undefined ? "" : " lowered"}${unused ? " unused" : ""}` },
        el("div", { className: "head" }, el("strong", { text: c.profile }), el("span", { className: "key", text: `backend ${c.backend}` })),
        el("div", { className: "used", text: usedBy(c) }),
        el("div", { className: "load", text: `${window} · ${budget}` }),
        el("div", { className: "facts", text: whereFrom(c) }),
      );
      card.dataset.used = unused ? "no" : "yes";
      card.dataset.profile = c.profile;
      card.dataset.source = c.source;
      if (c.contextWindow !== undefined) card.dataset.contextWindow = String(c.contextWindow);
      return card;
    }),
  );
}

/** `tiers low, medium · served by llama-2-tiny-random-chatml`, or why a card is here though no tier uses it. */
function usedBy(c: ContextSummary): string {
  const served = c.served === undefined ? "" : ` · served by ${c.served}`;
  if (c.usedBy === undefined) return served.slice(3);
  if (c.usedBy.length > 0) {
    const tiers = c.usedBy.filter((by) => by !== "classifier");
    const words = [
      tiers.length === 0 ? "" : `tier${tiers.length === 1 ? "" : "s"} ${tiers.join(", ")}`,
      c.usedBy.includes("classifier") ? "the classifier" : "",
    ].filter((w) => w !== "");
    return `used by ${words.join(" and ")}${served}`;
  }
  return `no tier uses it: only a model named like ${(c.aliases ?? []).join(", ") || "one of its aliases"} reaches it${served}`;
}

/** `from llama-server GET /props; context_window 32768 lowered to it`, in `mallex status`'s words. */
function whereFrom(c: ContextSummary): string {
  if (c.contextWindow === undefined) return "no context_window declared, and its server has not said yet";
  const why = [c.source === "declared" ? "context_window as declared" : c.source === "engine context size" ? "the engine's context size" : `from ${c.source}`];
  if (c.declared !== undefined) why.push(`context_window ${c.declared} lowered to it`);
  if (c.serverHolds !== undefined) why.push(`its server holds ${c.serverHolds}`);
  return why.join("; ");
}
