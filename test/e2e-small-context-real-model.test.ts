import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { expect, it } from "vitest";
import { makeProject, runMallex } from "./helpers/claude-code.js";
import { CLAUDE_CODE_MATRIX, type ClaudeCodeVersion } from "./helpers/claude-code-versions.js";
import { describeWithModelKit, kit } from "./helpers/model-kit.js";

/**
 * The real Claude Code CLI through `mallex run --embedded MODEL --ctx-size N` with a real instruct
 * model (the model kit's SmolLM2-135M-Instruct) at a small context: a session that outgrows the
 * context within a few turns, through Claude Code's compaction (`--continue`). In a file of its own,
 * so that it starts first, on a worker of its own: it is the longest of the end-to-end files. Random
 * weights that never stop, at the same sizes on both releases, are test/e2e-small-context.test.ts.
 */

/**
 * Turns a session may take to reach its first compaction; then one more after it. Each turn's prompt
 * carries notes of a tenth of the context (notesFor), so the session outgrows the context within 10
 * turns on the test's own words, whatever the model answers: SmolLM2's answers vary in length with the
 * prompt (each run's folder, date and commit id), and its first answer sets the pattern. Before the
 * notes, an 8 K session once reached no compaction in 8 turns, and in 14 (CI, 2026-11-26: 14 turns in
 * 242 s, every answer short) on both releases.
 */
const MAX_TURNS = 14;
/**
 * One turn's limit: a turn whose answer is cut is up to 4 requests, each with a prefill and a capped
 * answer on one thread, and a compaction before one is up to 4 more. Alone on this 2-core machine,
 * an 8 K turn that compacted took 5 minutes (SmolLM2 decoding at 16–33 tokens a second, its first
 * answer ~2,500 tokens before the cap); beside the rest of CI's suite, one took over 15 (CI,
 * 2026-11-26: killed at 900 s, the session's turns before it 215 s in all). A limit on time here
 * guards against a hang, not a speed: a turn killed by it fails saying so, with the log's last lines.
 */
const TURN_TIMEOUT_MS = 1_500_000;

/** The first two only: a real model's turn may end so where it ran on past every cap, never for want of room. */
const GAVE_UP_ON_CUT_ANSWER = /output token maximum|context window limit/;

const pinned = CLAUDE_CODE_MATRIX[0]!;

/**
 * A real model's sessions cost minutes each (4 to 21 on 2 cores: SmolLM2 prefills at 25 to 80 tokens a
 * second on one thread, and each compaction's fitted request is a prefill from scratch), so one runs:
 * at 4 K, on the pinned release that `mallex run` launches, where its compaction breaker once tripped
 * (below). An 8 K session took 21 minutes beside the rest of CI's suite, and one at 4 K on the newest
 * release 9. Both releases at both sizes are run with random weights (test/e2e-small-context.test.ts),
 * and their compaction with a scripted server (test/e2e-claude-code-compaction.test.ts).
 * Each turn asks for an answer of a sentence or two: the notes make the session outgrow the context.
 * Asked for a long essay instead, SmolLM2 ran answers to the cap (4 requests a turn) and pushed the
 * conversation past the compaction point again after each compaction: 20 requests in a session of 5
 * turns, 518 s of CI's run (2026-11-29). Asked for a sentence or two, five sessions took 4 to 14
 * requests (2 to 6 turns): most of what is left is the compaction's, as long as the model's summary.
 */
describeWithModelKit("mallex run --embedded SmolLM2-135M-Instruct (a real model) at a small context, with the real Claude Code", () => {
  it.each([[4096, ...pinned]] as const)(
    "--ctx-size %i, Claude Code %s: every turn ends with an answer, or Claude Code's own error for one the model ran past every cap with; through compaction; start-up says the fix",
    async (size, _name, claudeCode) => {
      await sessionThroughCompaction(
        kit().chat_gguf,
        size,
        claudeCode,
        (turn) => `Turn ${turn}: in one or two sentences, what do these notes say about the number ${turn}?\n${notesFor(turn, size)}`,
      );
    },
    // Alone it took 1.5 to 7 minutes: a session that runs on far past that fails here, not CI's whole run.
    1_800_000,
  );
});

/**
 * One `claude -p` session, `--continue`d until Claude Code has compacted once (mallex fitting its
 * request) and one turn more. Each turn exits with its answer — or, where the model ran past mallex's
 * cap (SmolLM2 repeats a paragraph until something stops it, in about half its summaries too), with
 * Claude Code's own error for that, and the session goes on:
 * - an answer cut 4 times over: a cut answer ends max_tokens, Claude Code asks to go on 3 times, then
 *   gives up ("…output token maximum");
 * - a compaction whose summary was cut: 2.1.197 takes a summary that ended max_tokens for a failed
 *   compaction (its API-error message is the compaction's answer), and 2.1.332 does once it has asked to
 *   go on with it; with the conversation still over its own limit, 2.1.197 ends the turn "Prompt is too
 *   long" without sending it, or sends it and mallex refuses it as too long, and Claude Code compacts
 *   again (its reactive compaction), which mallex fits.
 * A request past mallex's limit that Claude Code did not see coming (it counts the last answer's usage
 * and estimates what came since; 2.1.332 keeps its newest messages beside a summary) is refused as
 * "prompt is too long" too, and Claude Code answers that by compacting, as claude-context-env.ts
 * plans: seen on 2.1.332 at 4 K and 8 K (up to 4 in a session), after summaries that ended by themselves.
 * Never with Claude Code's compaction breaker ("Autocompact is thrashing"): seen at 4 K on 2.1.197 (CI,
 * 2026-11-26) while the medium size's first request (~2,000 tokens) sat at the compaction point (2,150),
 * gone since a 4 K session is trimmed as a small model (leavesRoomToTalk; 3 runs of both releases, 0
 * breaker turns). Never
 * "Prompt is too long" unless the summary before it was cut, nor a refusal of mallex's that Claude Code
 * did not answer by compacting; no cut answer is reported end_turn. (At 4 K, 2.1.332 ended 2 of 4 turns by cut answers,
 * 2.1.197 none of 5; in CI, 1 of 4 sessions met a cut summary: how often is the model's, so it is
 * counted, not bounded.)
 */
async function sessionThroughCompaction(model: string, size: number, claudeCode: ClaudeCodeVersion, promptFor: (turn: number) => string): Promise<void> {
  expect(existsSync(model), model).toBe(true);
  const project = makeProject();
  const mallexHome = mkdtempSync(join(tmpdir(), "mallex-state-"));
  const claudeHome = mkdtempSync(join(tmpdir(), "mallex-home-"));
  const log = () => (existsSync(join(mallexHome, "mallex.log")) ? readFileSync(join(mallexHome, "mallex.log"), "utf8") : "");
  const compactions = () => log().split("\n").filter(isFittedCompaction).length;
  let cutTurns = 0;
  let cutSummaryTurns = 0;
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
    const result = claudeCodeResult(run, turn, log());
    if (result.is_error && /Prompt is too long/.test(result.result)) {
      expect(lastCompaction(log()), `turn ${turn}: "Prompt is too long" after a compaction whose summary the cap cut`).toMatch(/ · stop max_tokens · /);
      expect(run.exitCode, `turn ${turn}`).toBe(1);
      cutSummaryTurns++;
    } else if (result.is_error) {
      expect(result.result, `turn ${turn}`).toMatch(GAVE_UP_ON_CUT_ANSWER);
      expect(run.exitCode, `turn ${turn}`).toBe(1);
      cutTurns++;
    } else {
      expect(run.exitCode, `turn ${turn}: ${run.stdout.slice(0, 600)}\n${run.stderr}`).toBe(0);
    }
    return run;
  };

  const first = await runTurn(1);
  // Said before Claude Code starts, with the fix for this engine.
  expect(first.stderr).toContain(`mallex: warning: a ${size}-token context is small for Claude Code (under 32768)`);
  expect(first.stderr).toContain("To fix it, start mallex with --ctx-size 32768");

  let turn = 1;
  while (compactions() === 0 && turn < MAX_TURNS) await runTurn(++turn);
  expect(
    compactions(),
    `Claude Code compacted within ${MAX_TURNS} turns, and mallex fitted its request; its requests:\n${requestDigest(log())}`,
  ).toBeGreaterThan(0);
  await runTurn(++turn);
  const lines = log().split("\n");
  const refused = lines.flatMap((line, at) => (/refused: prompt is too long/.test(line) ? [at] : []));
  console.log(
    `small context ${size}, ${basename(model)}, Claude Code ${claudeCode.version}: ${turn} turns (${cutTurns} ended by Claude Code after 4 cut answers, ${cutSummaryTurns} "Prompt is too long" after a cut summary), ${compactions()} compaction(s) fitted by mallex, ${refused.length} request(s) refused as too long, each answered by a compaction`,
  );
  // Each refusal answered by Claude Code compacting again: none ended the session.
  for (const at of refused) expect(lines.slice(at + 1).some(isFittedCompaction), lines[at]).toBe(true);
  // Every answer a cap cut says so.
  expect(log()).not.toMatch(/ · cut at \d+ tokens [^\n]*· stop end_turn · /);
}

/** Claude Code's JSON result of one turn; a turn that printed none (killed by its limit, or crashed) fails saying why, with mallex's last log lines. */
function claudeCodeResult(
  run: { stdout: string; stderr: string; exitCode?: number | undefined; timedOut: boolean },
  turn: number,
  log: string,
): { is_error: boolean; result: string } {
  try {
    return JSON.parse(run.stdout) as { is_error: boolean; result: string };
  } catch {
    const why = run.timedOut ? `killed after ${TURN_TIMEOUT_MS / 1000} s` : `exit ${run.exitCode}, no JSON result`;
    throw new Error(`turn ${turn}: ${why}\n--- stderr\n${run.stderr.slice(-2_000)}\n--- mallex.log, last lines\n${log.split("\n").slice(-8).join("\n")}`);
  }
}

/** A log line of a compaction request mallex fitted. */
function isFittedCompaction(line: string): boolean {
  return / · compaction −[\d,]+/.test(line);
}

/** The log's last line of a compaction: one mallex fitted, or a summary its cap cut ("" if none). */
function lastCompaction(log: string): string {
  return log.split("\n").findLast((line) => isFittedCompaction(line) || / · cut at \d+ tokens to keep Claude Code's compaction summary /.test(line)) ?? "";
}

/** Lines of notes about a number, a tenth of a `size`-token context (25 tokens a line, as SmolLM2's tokenizer counts them). */
function notesFor(turn: number, size: number): string {
  return Array.from(
    { length: Math.round(size / 10 / 25) },
    (_, i) => `- ${turn} times ${i + 2} is ${turn * (i + 2)}, and ${turn} plus ${i + 2} is ${turn + i + 2}.`,
  ).join("\n");
}

/** Each request of mallex.log as its size, answer and stop: what a session that never compacted did. */
function requestDigest(log: string): string {
  return log
    .split("\n")
    .filter((line) => / · stop [a-z_]+ · /.test(line))
    .map((line) =>
      [/ prompt [\d,]+ tok/, / out \d+ tok/, / compaction −[\d,]+/, / stop [a-z_]+/]
        .map((field) => line.match(field)?.[0].trim() ?? "")
        .filter(Boolean)
        .join(", "),
    )
    .join("\n");
}
