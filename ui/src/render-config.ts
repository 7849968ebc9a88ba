import { el } from "./dom.js";
import type { RoutingTableView } from "./types.js";

/** The compiled routing table: tiers → profiles, model rules, intents, filters, and the files it came from. */
export function renderConfig(root: HTMLElement, view: RoutingTableView): void {
  const table = (head: string[], rows: string[][]) =>
    el(
      "table",
      {},
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { text: h })))),
      el("tbody", {}, ...rows.map((row) => el("tr", {}, ...row.map((cell) => el("td", { text: cell }))))),
    );
  root.replaceChildren(
    el("p", { text: `Compiled from ${view.sources.join(", ")} (config ${view.config}); default tier ${view.defaultTier}; classifier ${view.classifier}.` }),
    el("h3", { text: "Tiers" }),
    table(
      ["tier", "profile", "model", "backend", "fallback", "max ttft", "written at"],
      view.tiers.map((t) => [
        t.tier,
        t.profile,
        t.model,
        `${t.backend} (${t.backendKind})`,
        t.fallback ?? "",
        t.maxTtftMs === undefined ? "" : `${t.maxTtftMs} ms`,
        [t.at, t.profileAt && `profile ${t.profileAt}`].filter(Boolean).join(", "),
      ]),
    ),
    el("h3", { text: "Model names" }),
    table(["model", "goes to"], [...view.models.map((m) => [m.glob, `tier ${m.tier}`]), ...view.aliases.map((a) => [a.glob, `profile ${a.profile}`])]),
    el("h3", { text: "Intents" }),
    table(
      ["id", "route", "prompt matches", "description", "written at"],
      view.intents.map((i) => [i.id, i.route, i.prompt.join(" | "), i.description ?? "", i.at ?? ""]),
    ),
    el("h3", { text: "Filters" }),
    table(
      ["id", "action", "where", "pattern", "sizes", "written at"],
      view.filters.map((f) => [f.id, f.action, f.where.join(", "), f.pattern, f.sizes.join(", "), f.at ?? ""]),
    ),
  );
}
