import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { makeProject, runMallex } from "./helpers/claude-code.js";
import { CLAUDE_CODE_MATRIX } from "./helpers/claude-code-versions.js";
import { describeWithShared, sharedPath } from "./helpers/shared-dir.js";

/**
 * The real Claude Code CLI through `mallex run --embedded MODEL --ctx-size N` at small contexts, with
 * random weights that never stop (on the pinned and the newest release): the worst case, where every
 * answer runs until mallex's cap cuts it. A cut answer ends max_tokens (issue 49), and Claude Code asks
 * to go on, up to 3 times, before it ends the turn with its own error
 * (test/e2e-claude-code-cut-answer.test.ts): with a model that never stops, that is every turn. Its
 * requests to go on carry only the cut answer's tail here (fitContinuation): with every piece, each
 * pushed Claude Code past its compaction point, and after 3 compactions in a turn it ended it
 * "Autocompact is thrashing". A real model's session through compaction at a small context is
 * test/e2e-small-context-real-model.test.ts.
 */

/**
 * What Claude Code ends a turn with once it has asked to go on with a cut answer 3 times (2.1.197 and
 * 2.1.332 word them so), or once a compaction's summary was cut as often and the conversation no longer
 * fits: never its compaction breaker ("Autocompact is thrashing").
 */
const CUT_ANSWER_ERROR = /output token maximum|context window limit|Prompt is too long/;
/** One turn's limit, two within the test's: a hang, not a speed. */
const TURN_TIMEOUT_MS = 400_000;

const pinned = CLAUDE_CODE_MATRIX[0]!;
const newest = CLAUDE_CODE_MATRIX[1]!;

describeWithShared("mallex run --embedded llama-2-tiny-random-chatml.gguf at a small context, with the real Claude Code", () => {
  const model = sharedPath("models", "llama-2-tiny-random-chatml.gguf");
  it.each([
    [4096, ...pinned],
    [4096, ...newest],
    [8192, ...pinned],
    [8192, ...newest],
  ] as const)(
    "--ctx-size %i, Claude Code %s: each answer cut at the cap that keeps room ends max_tokens, and each turn ends with Claude Code's own error; start-up says the fix",
    async (size, _name, claudeCode) => {
      expect(existsSync(model), model).toBe(true);
      const project = makeProject();
      const mallexHome = mkdtempSync(join(tmpdir(), "mallex-state-"));
      const claudeHome = mkdtempSync(join(tmpdir(), "mallex-home-"));
      for (const turn of [1, 2]) {
        const run = await runMallex(
          [
            "--embedded",
            model,
            "--threads",
            "1",
            "--ctx-size",
            String(size),
            "--",
            "-p",
            `Turn ${turn}: list three facts about the number ${turn}.`,
            ...(turn > 1 ? ["--continue"] : []),
            "--output-format",
            "json",
          ],
          project,
          mallexHome,
          TURN_TIMEOUT_MS,
          { HOME: claudeHome },
          claudeCode,
        );
        // Ended by Claude Code, not by a timeout: after its requests to go on (and its compaction's), its own error.
        expect(run.exitCode, `turn ${turn}: ${run.stdout.slice(0, 600)}\n${run.stderr}`).toBe(1);
        expect(JSON.parse(run.stdout), `turn ${turn}`).toMatchObject({ is_error: true, result: expect.stringMatching(CUT_ANSWER_ERROR) });
        if (turn === 1) {
          // Said before Claude Code starts, with the fix for this engine.
          expect(run.stderr).toContain(`mallex: warning: a ${size}-token context is small for Claude Code (under 32768)`);
          expect(run.stderr).toContain("To fix it, start mallex with --ctx-size 32768");
        }
      }
      const log = readFileSync(join(mallexHome, "mallex.log"), "utf8");
      expect(log).toMatch(new RegExp(` · cut at \\d+ tokens to leave room for the next request in the ${size}-token context · stop max_tokens · `));
      expect(log).not.toMatch(/ · stop end_turn · /);
    },
    900_000,
  );
});
