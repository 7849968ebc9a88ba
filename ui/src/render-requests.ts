import { el } from "./dom.js";
import { chars, clock, outcome, perSecond, promptTokens, seconds } from "./format.js";
import type { RequestSummary } from "./types.js";

/** The requests table's body, newest first; a click on a row asks for its explanation. */
export function renderRequests(body: HTMLTableSectionElement, requests: readonly RequestSummary[], onPick: (request: RequestSummary) => void): void {
  const rows = [...requests].reverse().map((r) => {
    const row = el(
      "tr",
      { className: r.outcome === "ok" ? "" : `bad ${r.outcome}` },
      el("td", { text: clock(r.at), title: r.id }),
      el("td", { className: "model", text: r.model }),
      el(
        "td",
        { className: "route", title: r.reason },
        el("span", { className: `tier ${r.tier}`, text: r.tier }),
        " · ",
        el("span", { className: "profile", text: r.profile }),
        r.served === undefined ? "" : el("span", { className: "served", text: ` on ${r.served}` }),
        " · ",
        el("span", { className: "kind", text: r.backend }),
        el("div", { className: "reason", text: r.reason }),
      ),
      el("td", { className: "num" }, chars(r), r.rules === undefined ? "" : el("div", { className: "rules", text: r.rules })),
      el("td", { className: "num", text: promptTokens(r) }),
      el("td", { className: "num" }, seconds(r.ttftMs), waits(r) === "" ? "" : el("div", { className: "waits", text: waits(r) })),
      el("td", { className: "num", text: perSecond(r.prefillTps) }),
      el("td", { className: "num", text: perSecond(r.decodeTps) }),
      el("td", {
        className: r.error === undefined ? "stop" : "error",
        text: outcome(r),
        ...(r.cutAtCap === undefined ? {} : { title: `Claude Code was told ${r.stopReason ?? "max_tokens"}, with a note in the answer naming the cap` }),
      }),
    );
    row.dataset.id = r.id;
    row.tabIndex = 0;
    row.addEventListener("click", () => onPick(r));
    row.addEventListener("keydown", (event) => {
      if (event.key === "Enter") onPick(r);
    });
    return row;
  });
  body.replaceChildren(...rows);
  if (rows.length === 0)
    body.append(el("tr", {}, Object.assign(el("td", { className: "empty", text: "No requests yet: point Claude Code at this mallex." }), { colSpan: 9 })));
}

/** What the time to first token spent waiting before the backend saw the request. */
function waits(r: RequestSummary): string {
  const parts = [r.queuedMs === undefined ? "" : `queued ${seconds(r.queuedMs)}`, r.loadingMs === undefined ? "" : `loading ${seconds(r.loadingMs)}`];
  return parts.filter((part) => part !== "").join(" · ");
}
