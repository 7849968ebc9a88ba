import { el } from "./dom.js";
import { gigabytes } from "./format.js";
import type { MemorySummary } from "./types.js";

/** The budget the model servers share, as a bar: held now of the budget. Hidden when mallex has no budget (it starts no server). */
export function renderMemory(root: HTMLElement, memory: MemorySummary | undefined): void {
  root.hidden = memory === undefined;
  if (memory === undefined) return root.replaceChildren();
  const bar = el("meter");
  bar.max = memory.budgetBytes;
  bar.value = Math.min(memory.heldBytes, memory.budgetBytes);
  // Nearly full: the next start unloads an idle server or waits.
  bar.high = memory.budgetBytes * 0.9;
  bar.title = "memory held by the model servers mallex started, of their budget (memory.budget_gb)";
  root.replaceChildren(
    el("div", { className: "facts", text: `memory: ${gigabytes(memory.heldBytes)} held of the budget of ${gigabytes(memory.budgetBytes)}` }),
    bar,
  );
  root.dataset.held = String(memory.heldBytes);
}
