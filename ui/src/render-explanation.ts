import { el } from "./dom.js";

export interface Explanation {
  id: string;
  /** observability.dashboard_prompts: the files hold prompt text; else every text is its length. */
  prompts: boolean;
  files: Record<string, string>;
}

const TITLES: Record<string, string> = {
  "route.json": "Route and what every rule did",
  "upstream.json": "The upstream request as sent (keys redacted)",
  "response.json": "How it ended",
  "request.json": "The client's request (keys redacted)",
};

/** A request's explanation, the `mallex explain` view: route and rules first, then what was sent and how it ended. */
export function renderExplanation(root: HTMLElement, explanation: Explanation): void {
  const close = el("button", { className: "action close", text: "Close" });
  close.type = "button";
  close.addEventListener("click", () => (root.hidden = true));
  root.replaceChildren(
    close,
    el("h2", { text: `Request ${explanation.id}` }),
    el("p", { className: "note", text: explanation.prompts ? "Prompt text is shown (observability.dashboard_prompts: true)." : "Prompt text is hidden: each text shows as its length. Set observability.dashboard_prompts: true to see it." }),
    ...Object.keys(TITLES)
      .filter((name) => explanation.files[name] !== undefined)
      .map((name) => el("details", {}, el("summary", { text: TITLES[name]! }), el("pre", { text: explanation.files[name]! }))),
  );
  root.querySelector("details")?.setAttribute("open", "");
}
