/**
 * The order files start in: the longest first, so that the longest does not start last and run
 * alone at the end. vitest orders by the durations of its previous run, which a
 * fresh clone (CI) does not have: there it orders by file size. The files named here start first in
 * their group, in this order; the rest follow in vitest's order.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Their durations in CI's run of eea7fcc (2026-11-25, 2 cores, one file at a time), in seconds. */
const LONGEST = [
  // 1,083 with the random-weight sessions (now e2e-small-context.test.ts); alone, 210–520 s in CI since.
  "test/e2e-small-context-real-model.test.ts", // a Claude Code session through compaction, the engine on one thread
  "test/memory-budget-cli.test.ts", // 96
  "test/e2e-claude-code-compaction.test.ts", // 92
  "test/trim-claude-code-versions.test.ts", // 44
];

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const at = LONGEST.findIndex((name) => spec.moduleId.endsWith(name));
      return at === -1 ? LONGEST.length : at;
    };
    // Array.prototype.sort is stable: within a group and a rank, vitest's order stands.
    return (await super.sort(files)).sort((a, b) => a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder || rank(a) - rank(b));
  }
}
