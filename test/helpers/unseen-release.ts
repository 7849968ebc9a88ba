/**
 * The unseen Claude Code release (unseenClaudeCode, 2.1.260) as `mallex run` trims it: its own lines
 * learned from the installed CLI into a MALLEX_HOME of its own, and what the suites that need it do
 * when it cannot be installed (skipped with one line saying why; failing under CI=true, where a skip
 * would quietly drop the coverage).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";
import { loadClaudeCodeLines, type ClaudeCodeLines } from "../../src/observe/claude-code-lines.js";
import { learnClaudeCodeLines, type LearnOutcome } from "../../src/observe/learn-claude-code-lines.js";
import type { ClaudeCodeVersion } from "./claude-code-versions.js";

/** What `mallex run` sets for the shipped default tier (claude-context-env.ts, claude-tool-search-env.ts), and learns a release in. */
export const RUN_ENV = { ENABLE_TOOL_SEARCH: "false", ANTHROPIC_MODEL: "mallex/qwen3-coder-30b" } as const;

export interface LearnedUnseen {
  /** The temporary MALLEX_HOME the lines were saved in. */
  mallexHome: string;
  /** The proxy's lines as `mallex run` leaves them: the release's learned ones added. */
  lines: ClaudeCodeLines;
  outcome: LearnOutcome;
}

const learning = new Map<string, Promise<LearnedUnseen>>();

/**
 * `claudeCode`'s own lines learned by the library function `mallex run` calls, into a fresh
 * MALLEX_HOME: once per release and test file (the suites of a file share it).
 */
export function learnUnseen(claudeCode: ClaudeCodeVersion): Promise<LearnedUnseen> {
  let learned = learning.get(claudeCode.version);
  if (learned === undefined) {
    learned = (async () => {
      const mallexHome = mkdtempSync(join(tmpdir(), "mallex-state-"));
      const lines = loadClaudeCodeLines(mallexHome);
      const outcome = await learnClaudeCodeLines({ bin: claudeCode.bin, env: RUN_ENV, mallexHome, lines });
      if (outcome.kind !== "learned") throw new Error(`Claude Code ${claudeCode.version}'s own text was not learned: ${JSON.stringify(outcome)}`);
      console.log(`learned Claude Code ${claudeCode.version}'s own text: ${JSON.stringify(outcome)}`);
      return { mallexHome, lines, outcome };
    })();
    learning.set(claudeCode.version, learned);
  }
  return learned;
}

/** The suite `name` when the unseen release is missing: one skipped test saying why, or under CI one failing test. */
export function describeUnseenMissing(name: string, missing: string): void {
  describe(name, () => {
    if (process.env.CI === "true")
      it("is installed", () => {
        throw new Error(missing);
      });
    else it.skip(missing, () => undefined);
  });
}
