/**
 * A terminal for the suites that run Claude Code interactively (scripts/claude-code/capture-interactive.js):
 * tmux. Where it is not installed they are skipped, named with the reason and said once on the
 * console; under CI (CI=true) its absence fails them, because a skip there would quietly drop their
 * coverage (.ci/run installs it).
 */
import { describe, it } from "vitest";
import { hasTmux } from "../../scripts/claude-code/capture-interactive.js";

const TMUX_MISSING = "needs tmux to run Claude Code in a terminal (apt-get install -y tmux)";
const inCI = process.env.CI === "true";

/** `describe` for a suite that runs Claude Code interactively: one skipped test saying why without tmux, one failing test under CI. */
export function describeWithTerminal(name: string, fn: () => void): void {
  if (hasTmux()) {
    describe(name, fn);
    return;
  }
  if (!inCI) console.warn(`mallex tests: ${name} skipped: ${TMUX_MISSING}`);
  describe(name, () => {
    if (!inCI) return it.skip(TMUX_MISSING, () => undefined);
    it(TMUX_MISSING, () => {
      throw new Error("tmux is missing: CI must install it (.ci/run does: apt-get install -y tmux)");
    });
  });
}
