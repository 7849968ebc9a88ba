import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { expect, it } from "vitest";
import { makeProject, runMallex } from "./helpers/claude-code.js";
import { CLAUDE_CODE_MATRIX, type ClaudeCodeVersion } from "./helpers/claude-code-versions.js";
import { describeWithModelKit, kit } from "./helpers/model-kit.js";
import { describeWithShared, sharedPath } from "./helpers/shared-dir.js";

/**
 * The real Claude Code CLI through `mallex run --embedded MODEL --ctx-size N` at small contexts: no
 * turn ends with "Prompt is too long", alone or in a session that grows past Claude Code's compaction
 * (`--continue`). Two models: random weights that never stop, the worst case, where every answer runs
 * until something cuts it; and a real instruct model (the model kit's SmolLM2-135M-Instruct), asked
 * for long answers so its session outgrows the context within a few turns.
 */
/**
 * Turns a session may take to reach its first compaction; then one more after it. A real model's
 * essays vary in length with the prompt (each run's folder, date and commit id): at 8 K, SmolLM2's
 * session once reached no compaction in 8 turns (about 24 s a turn).
 */
const MAX_TURNS = 14;
/**
 * One turn's limit: a compaction turn is two requests of a prefill and a capped answer each, on one
 * thread; alone on this 2-core machine the 8192 session took 487 s for 4 turns, and on a loaded CI
 * machine a turn took over 180 s. A limit on time here guards against a hang, not a speed.
 */
const TURN_TIMEOUT_MS = 420_000;

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
    "--ctx-size %i, Claude Code %s: every turn answers, through compaction, and start-up says the fix",
    async (size, _name, claudeCode) => {
      await sessionThroughCompaction(model, size, claudeCode, (turn) => `Turn ${turn}: list three facts about the number ${turn}.`, true);
    },
    900_000,
  );
});

describeWithModelKit("mallex run --embedded SmolLM2-135M-Instruct (a real model) at a small context, with the real Claude Code", () => {
  it.each([
    [4096, ...pinned],
    [8192, ...pinned],
  ] as const)(
    "--ctx-size %i, Claude Code %s: every turn answers, through compaction, and start-up says the fix",
    async (size, _name, claudeCode) => {
      await sessionThroughCompaction(
        kit().chat_gguf,
        size,
        claudeCode,
        (turn) => `Turn ${turn}: write a long essay, at least 600 words, about the number ${turn}.`,
        false,
      );
    },
    2_400_000,
  );
});

/**
 * One `claude -p` session, `--continue`d until Claude Code has compacted once (mallex fitting its
 * request) and one turn more, each turn exiting 0 without an error. `neverStops`: the model runs every
 * answer to a cut, so the first answer must carry mallex's note of the cap that keeps room.
 */
async function sessionThroughCompaction(
  model: string,
  size: number,
  claudeCode: ClaudeCodeVersion,
  promptFor: (turn: number) => string,
  neverStops: boolean,
): Promise<void> {
  expect(existsSync(model), model).toBe(true);
  const project = makeProject();
  const mallexHome = mkdtempSync(join(tmpdir(), "mallex-state-"));
  const claudeHome = mkdtempSync(join(tmpdir(), "mallex-home-"));
  const log = () => (existsSync(join(mallexHome, "mallex.log")) ? readFileSync(join(mallexHome, "mallex.log"), "utf8") : "");
  const compactions = () =>
    log()
      .split("\n")
      .filter((line) => / · compaction −[\d,]+/.test(line)).length;
  const runTurn = async (turn: number) => {
    const prompt = promptFor(turn);
    const run = await runMallex(
      ["--embedded", model, "--threads", "1", "--ctx-size", String(size), "--", "-p", prompt, ...(turn > 1 ? ["--continue"] : []), "--output-format", "json"],
      project,
      mallexHome,
      TURN_TIMEOUT_MS,
      { HOME: claudeHome },
      claudeCode,
    );
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
  if (neverStops)
    expect(JSON.parse(first.stdout).result).toMatch(
      new RegExp(
        `\\[mallex: the answer was cut at \\d+ tokens, the local model's output limit \\(what leaves room for the next request in profile \\S+ ${size}-token context`,
      ),
    );

  let turn = 1;
  while (compactions() === 0 && turn < MAX_TURNS) await runTurn(++turn);
  expect(compactions(), `Claude Code compacted within ${MAX_TURNS} turns, and mallex fitted its request`).toBeGreaterThan(0);
  await runTurn(++turn);
  console.log(`small context ${size}, ${basename(model)}, Claude Code ${claudeCode.version}: ${turn} turns, ${compactions()} compaction(s) fitted by mallex`);
  expect(log()).not.toMatch(/refused: prompt is too long/);
}
