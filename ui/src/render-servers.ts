import { el } from "./dom.js";
import { duration, gigabytes, idleCountdown } from "./format.js";
import type { MemorySummary, ServerSummary } from "./types.js";

/** One card per supervised model server, with stop and start, and its size as the memory budget counts it. */
export function renderServers(
  root: HTMLElement,
  servers: readonly ServerSummary[],
  now: number,
  act: (key: string, action: "stop" | "start") => void,
  memory?: MemorySummary,
  supervises = true,
): void {
  if (servers.length === 0) {
    const text = supervises
      ? "No model server started by this mallex yet (it starts one on the first request that needs it)."
      : "This mallex starts no model server: its backends are servers that run already.";
    root.replaceChildren(el("p", { className: "empty", text }));
    return;
  }
  root.replaceChildren(
    ...servers.map((s) => {
      const running = s.state === "ready" || s.state === "starting";
      const button = el("button", { text: running ? "Stop" : "Start", className: "action" });
      button.type = "button";
      button.disabled = s.state === "stopping";
      button.addEventListener("click", () => act(s.key, running ? "stop" : "start"));
      const size = memory?.servers.find((m) => m.key === s.key);
      const sizeText = size === undefined ? "" : size.bytes === undefined ? "size unknown until measured" : `${gigabytes(size.bytes)} (${size.source})`;
      const facts = [
        s.port === undefined ? "" : `port ${s.port}`,
        s.pid === undefined ? "" : `pid ${s.pid}`,
        `${s.state} for ${duration(now - Date.parse(s.since))}`,
        `${s.restarts} restart${s.restarts === 1 ? "" : "s"}`,
        idleCountdown(s, now),
        sizeText,
      ].filter((f) => f !== "");
      const card = el(
        "div",
        { className: `server ${s.state}` },
        el("div", { className: "head" }, el("span", { className: `state ${s.state}`, text: s.state }), " ", el("strong", { text: s.model }), button),
        el("div", { className: "key", text: s.key }),
        el("div", { className: "facts", text: facts.join(" · ") }),
      );
      if (s.progress !== undefined) {
        card.append(el("div", { className: "progress", text: s.progress }));
        if (s.percent !== undefined) {
          const bar = el("progress");
          bar.max = 100;
          bar.value = s.percent;
          card.append(bar);
        }
      }
      if (s.lastError !== undefined) card.append(el("div", { className: "error", text: `last error: ${s.lastError}` }));
      card.dataset.key = s.key;
      card.dataset.state = s.state;
      return card;
    }),
  );
}
