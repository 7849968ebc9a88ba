import { el } from "./dom.js";
import { duration } from "./format.js";
import type { InFlightSummary } from "./types.js";

const PHASE_WORDS: Record<InFlightSummary["phase"], string> = {
  routing: "being routed",
  waiting: "waiting for its turn or its model server",
  prefill: "prefill (the server reports no progress)",
  answering: "answering",
};

/**
 * One card per request under way, with its prefill's progress bar while its server reads the prompt:
 * what Claude Code's spinner is waiting on. Hidden when none is. `now`: the page's clock, for the time each has taken.
 */
export function renderInFlight(panel: HTMLElement, root: HTMLElement, requests: readonly InFlightSummary[], now: number): void {
  panel.hidden = requests.length === 0;
  root.replaceChildren(
    ...requests.map((request) => {
      const route = request.profile === undefined ? "" : `${request.tier !== undefined ? `${request.tier} → ` : ""}${request.profile}`;
      const prefill = request.phase === "prefill" ? request.prefill : undefined;
      const phase =
        prefill === undefined
          ? PHASE_WORDS[request.phase]
          : `prefill ${prefill.done.toLocaleString("en-US")} of ${prefill.total.toLocaleString("en-US")} prompt tokens (${Math.floor((prefill.done * 100) / prefill.total)}%${
              request.prefillLeftMs === undefined ? "" : `, ~${duration(request.prefillLeftMs)} left`
            })`;
      const card = el(
        "div",
        { className: `server in-flight ${request.phase}` },
        el("div", { className: "head" }, el("strong", { text: route || request.id }), ` · ${duration(now - Date.parse(request.since))}`),
        el("div", { className: "facts", text: phase }),
        ...(prefill === undefined ? [] : [progressBar(prefill.done, prefill.total)]),
        el("div", { className: "key", text: request.id }),
      );
      card.dataset.id = request.id;
      card.dataset.phase = request.phase;
      return card;
    }),
  );
}

function progressBar(done: number, total: number): HTMLProgressElement {
  const bar = el("progress");
  bar.max = total;
  bar.value = done;
  return bar;
}
