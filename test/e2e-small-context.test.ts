import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { expect, it } from "vitest";
import { makeProject, runMallex } from "./helpers/claude-code.js";
import { CLAUDE_CODE_MATRIX } from "./helpers/claude-code-versions.js";
import { describeWithShared, sharedPath } from "./helpers/shared-dir.js";

/**
 * The real Claude Code CLI through `mallex run --embedded MODEL --ctx-size N` at small contexts: no
 * turn ends with "Prompt is too long", alone or in a session that grows past Claude Code's compaction
 * (`--continue`). The default model is the worst case: random weights that never stop, so every answer
 * runs until something cuts it. MALLEX_SMALL_CONTEXT_MODEL swaps in another GGUF (a real instruct model).
 */
const MODEL = process.env.MALLEX_SMALL_CONTEXT_MODEL ?? sharedPath("models", "llama-2-tiny-random-chatml.gguf");
/** Turns a session may take to reach its first compaction; then one more after it. */
const MAX_TURNS = 8;

const pinned = CLAUDE_CODE_MATRIX[0]!;
const newest = CLAUDE_CODE_MATRIX[1]!;

describeWithShared(`mallex run --embedded ${basename(MODEL)} at a small context, with the real Claude Code`, () => {
  it.each([
    [4096, ...pinned],
    [4096, ...newest],
    [8192, ...pinned],
    [8192, ...newest],
  ] as const)("--ctx-size %i, Claude Code %s: every turn answers, through compaction, and start-up says the fix", async (size, _name, claudeCode) => {
    expect(existsSync(MODEL), MODEL).toBe(true);
    const project = makeProject();
    const mallexHome = mkdtempSync(join(tmpdir(), "mallex-state-"));
    const claudeHome = mkdtempSync(join(tmpdir(), "mallex-home-"));
    const log = () => (existsSync(join(mallexHome, "mallex.log")) ? readFileSync(join(mallexHome, "mallex.log"), "utf8") : "");
    const compactions = () => log().split("\n").filter((line) => / · compaction −[\d,]+/.test(line)).length;
    const runTurn = async (turn: number) => {
      const prompt = `Turn ${turn}: list three facts about the number ${turn}.`;
      const run = await runMallex(["--embedded", MODEL, "--threads", "1", "--ctx-size", String(size), "--", "-p", prompt, ...(turn > 1 ? ["--continue"] : []), "--output-format", "json"], project, mallexHome, 180_000, { HOME: claudeHome }, claudeCode);
      expect(run.exitCode, `turn ${turn}: ${run.stdout.slice(0, 600)}\n${run.stderr}`).toBe(0);
      const result = JSON.parse(run.stdout) as { is_error: boolean; result: string };
      expect(result.is_error, `turn ${turn}`).toBe(false);
      return run;
    };

    const first = await runTurn(1);
    // Said before Claude Code starts, with the fix for this engine.
    expect(first.stderr).toContain(`mallex: warning: a ${size}-token context is small for Claude Code (under 32768)`);
    expect(first.stderr).toContain("To fix it, start mallex with --ctx-size 32768");
    // The answer the random model would have run to the end of the context is cut short, and says why.
    expect(JSON.parse(first.stdout).result).toMatch(new RegExp(`\\[mallex: the answer was cut at \\d+ tokens, the local model's output limit \\(what leaves room for the next request in profile \\S+ ${size}-token context`));

    let turn = 1;
    while (compactions() === 0 && turn < MAX_TURNS) await runTurn(++turn);
    expect(compactions(), `Claude Code compacted within ${MAX_TURNS} turns, and mallex fitted its request`).toBeGreaterThan(0);
    await runTurn(++turn);
    console.log(`small context ${size}, Claude Code ${claudeCode.version}: ${turn} turns, ${compactions()} compaction(s) fitted by mallex`);
    expect(log()).not.toMatch(/refused: prompt is too long/);
  }, 900_000);
});
