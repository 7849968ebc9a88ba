import type { ClaudeCodeDrift } from "./types.js";

/**
 * One banner: a Claude Code release sent a request that drifted from what mallex's trimming was
 * checked against (src/observe/claude-code-drift.ts). Hidden when none did.
 */
export function renderDrift(root: HTMLElement, drift: ClaudeCodeDrift | undefined): void {
  root.hidden = drift === undefined;
  if (drift === undefined) return void (root.textContent = "");
  const shown = drift.unplaced.slice(0, 3).join("; ");
  const more = drift.count > 3 ? ` and ${drift.count - 3} more` : "";
  const place = drift.where === "older" ? "is older than" : drift.where === "within" ? "is one of" : "is newer than";
  root.textContent = `Claude Code ${drift.version} ${place} the releases mallex's trimming was checked against (${drift.checked.oldest}–${drift.checked.newest}) and ${drift.count} part${drift.count === 1 ? "" : "s"} of its request matched no rule: ${shown}${more}. Small models get a larger prompt: run \`npm run check:claude-code\` or update mallex.`;
  root.title = drift.unplaced.join("\n");
  root.dataset.version = drift.version;
}
