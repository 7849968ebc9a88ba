import { expect, it } from "vitest";
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
 * task that falls short runs again and must pass once in two: a change that loses it fails here. It runs with the
 * other real-model suites, alone (vitest.config.ts): 40 to 120 s a run, where beside another suite one
 * took 409 s. The limits guard against a hang, not a speed.
 */
describeWithModelKit("mallex eval on the kit's real 1.5B coder", () => {
  it("finishes implement-python-function with the shipped levers, in at least 1 of 2 runs (--min-pass-rate 100%, run again only when the first falls short)", async () => {
    const runs = await passInOneOfTwo("implement-python-function");
    expect(runs.flatMap((run) => run.tasks.map((task) => task.task))).toEqual(runs.map(() => "implement-python-function"));
  }, 2_100_000);

  it.each([
    ["follows a failing test to the source behind it and checks the fix", "fix-js-test"],
    ["renames a function across three files, file by file, and checks it", "rename-function"],
    ["answers a question about the project from its files, asked alone", "find-function"],
    ["reports what a command prints, asked alone once mallex has run it", "run-command"],
  ])(
    "%s (%s), in at least 1 of 2 runs",
    async (_what, task) => {
      await passInOneOfTwo(task);
    },
    2_100_000,
  );
});

/**
 * The gate of `--repeat 2 --min-pass-rate 50%` in half its time when the first run passes (most do):
 * one run held to `--min-pass-rate 100%`, and a second only when the first falls short. A run that
 * fails otherwise (no report, a crash) fails the test at once. The reports of the runs made.
 */
async function passInOneOfTwo(task: string): Promise<EvalReport[]> {
  const reports: EvalReport[] = [];
  for (let attempt = 1; attempt <= 2; attempt++) {
    const args = ["--embedded", kit().coder_gguf!, "--task", task, "--timeout", "450", "--min-pass-rate", "100%"];
    const { result, report } = await runEval(args, {}, 1_000_000);
    expect(report, `${result.stderr}\n${result.stdout.slice(-3000)}`).toBeDefined();
    reports.push(report!);
    if (result.exitCode === 0) {
      expect(report!.tasks.every((run) => run.task === task && run.passed)).toBe(true);
      return reports;
    }
    expect(result.stderr, result.stdout.slice(-3000)).toContain("mallex eval: below --min-pass-rate 100%");
  }
  expect.fail(`${task} failed both runs: ${JSON.stringify(reports.flatMap((report) => report.tasks.map((run) => run.why)))}`);
}
