import { el } from "./dom.js";
import { readExplanation, type Fact, type TrimView } from "./read-explanation.js";

export interface Explanation {
  id: string;
  /** observability.dashboard_prompts: the files hold prompt text; else every text is its length. */
  prompts: boolean;
  files: Record<string, string>;
}

/** The saved files, for whoever wants them whole: the words above come from them. */
const FILES: Record<string, string> = {
  "upstream.json": "The upstream request as sent (keys redacted), as JSON",
  "request.json": "The client's request (keys redacted), as JSON",
  "route.json": "The route and the rules, as JSON",
  "response.json": "How it ended, as JSON",
};

/**
 * A request's explanation, the `mallex explain` view in words: route and rules first, then how it
 * ended and an outline of what was sent; each saved file stays a fold away as JSON.
 */
export function renderExplanation(root: HTMLElement, explanation: Explanation): void {
  const view = readExplanation(explanation.files);
  const close = el("button", { className: "action close", text: "Close" });
  close.type = "button";
  close.addEventListener("click", () => (root.hidden = true));
  root.replaceChildren(
    close,
    el("h2", { text: `Request ${explanation.id}` }),
    el("p", {
      className: "note",
      text: explanation.prompts
        ? "Prompt text is shown (observability.dashboard_prompts: true)."
        : "Prompt text is hidden: each text shows as its length. Set observability.dashboard_prompts: true to see it.",
    }),
    section("Route and what every rule did", "route", factList(view.route), ...view.trims.map(trimSection)),
    section(
      "How it ended",
      "ending",
      factList(view.ending),
      ...(view.notes.length === 0 ? [] : [el("ul", { className: "notes" }, ...view.notes.map((note) => el("li", { text: note })))]),
    ),
    section(
      "What was sent",
      "sent",
      el("h4", { text: "The client's request" }),
      factList(view.request),
      el("h4", { text: "The upstream request" }),
      factList(view.upstream),
    ),
    ...Object.keys(FILES)
      .filter((name) => explanation.files[name] !== undefined)
      .map((name) => el("details", { className: "raw" }, el("summary", { text: FILES[name]! }), el("pre", { text: explanation.files[name]! }))),
  );
}

function section(title: string, name: string, ...children: Node[]): HTMLElement {
  const node = el("section", { className: `explain ${name}` }, el("h3", { text: title }), ...children);
  node.dataset.part = name;
  return node;
}

function factList(facts: readonly Fact[]): HTMLElement {
  if (facts.length === 0) return el("p", { className: "note", text: "Not recorded." });
  return el("dl", { className: "facts-list" }, ...facts.flatMap(([label, value]) => [el("dt", { text: label }), el("dd", { text: value })]));
}

function trimSection(trim: TrimView): HTMLElement {
  const total = trim.rules.reduce((sum, hit) => sum + hit.chars, 0);
  const rules =
    trim.rules.length === 0
      ? el("p", { className: "note", text: "No rule fired." })
      : el(
          "table",
          { className: "rules-table" },
          el("thead", {}, el("tr", {}, el("th", { text: "rule" }), el("th", { text: "where" }), el("th", { text: "chars removed" }))),
          el(
            "tbody",
            {},
            ...trim.rules.map((hit) =>
              el("tr", {}, el("td", { text: hit.rule }), el("td", { text: hit.target }), el("td", { className: "num", text: signed(hit.chars) })),
            ),
            el("tr", { className: "total" }, el("td", { text: "total" }), el("td", { text: "" }), el("td", { className: "num", text: signed(total) })),
          ),
        );
  return el("div", { className: "trim" }, rules, factList(trim.facts));
}

/** Chars removed, with a + where a rule added text (a rendered tools prompt). */
function signed(chars: number): string {
  return chars < 0 ? `+${-chars}` : String(chars);
}
