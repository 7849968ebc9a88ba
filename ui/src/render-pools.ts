import { el } from "./dom.js";
import { duration } from "./format.js";
import type { PoolSummary } from "./types.js";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** One card per server of each backend pool: its breaker state, its requests and queue, its sessions. Hidden when no backend is pooled. */
export function renderPools(panel: HTMLElement, root: HTMLElement, pools: readonly PoolSummary[]): void {
  panel.hidden = pools.length === 0;
  root.replaceChildren(
    ...pools.flatMap((pool) =>
      pool.servers.map((s) => {
        const coolDown = s.state === "open" && s.coolDownLeftS !== undefined ? `cooling down, ${duration(s.coolDownLeftS * 1000)} left` : "";
        const facts = [coolDown, `${plural(s.requests, "request")} (${s.inFlight} in flight, ${s.waiting} queued)`, plural(s.sessions, "session")].filter(
          (f) => f !== "",
        );
        const card = el(
          "div",
          { className: `server pool-server ${s.state}` },
          el("div", { className: "head" }, el("span", { className: `state ${s.state}`, text: s.state }), " ", el("strong", { text: s.url })),
          el("div", { className: "key", text: `backend ${pool.backend}` }),
          el("div", { className: "facts", text: facts.join(" · ") }),
        );
        card.dataset.url = s.url;
        card.dataset.state = s.state;
        return card;
      }),
    ),
  );
}
