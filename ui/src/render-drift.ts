import type { ClaudeCodeDrift } from "./types.js";

/**
 * One banner: a Claude Code newer than the releases mallex's trimming was checked against sent a
 * request that matched no rule (src/observe/claude-code-drift.ts). Hidden when none did.
 */
export function renderDrift(root: HTMLElement, drift: ClaudeCodeDrift | undefined): void {
  root.hidden = drift === undefined;
  if (drift === undefined) return void (root.textContent = "");
  const shown = drift.unplaced.slice(0, 3).join("; ");
  const more = drift.count > 3 ? ` and ${drift.count - 3} more` : "";
  root.textContent = `Claude Code ${drift.version} is newer than the releases mallex's trimming was checked against (${drift.checked.oldest}–${drift.checked.newest}) and ${drift.count} part${drift.count === 1 ? "" : "s"} of its request matched no rule: ${shown}${more}. Small models get a larger prompt: run \`npm run check:claude-code\` or update mallex.`;
  root.title = drift.unplaced.join("\n");
  root.dataset.version = drift.version;
}
