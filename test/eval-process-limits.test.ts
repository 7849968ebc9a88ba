/**
 * mallex eval holds a task's processes to their limits (issue 37): a checker or a Claude Code that
 * leaves something in the background, or runs past its limit, is ended with its whole process group,
 * and a task that ran out of time fails whatever its checker says.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { EvalTask } from "../src/eval/load-suite.js";
import { runChecker, runEvalTask } from "../src/eval/run-eval-task.js";
import { isLive } from "./helpers/process-tree.js";
import { defaultTable } from "./helpers/test-proxy.js";

function task(check: string): EvalTask {
  const dir = mkdtempSync(join(tmpdir(), "mallex-eval-task-"));
  const repoDir = join(dir, "repo");
  mkdirSync(repoDir);
  writeFileSync(join(repoDir, "README.md"), "a task\n");
  return { name: "t", dir, repoDir, prompt: "do it", check };
}

/** The pid a command printed as `pid=N`. */
const pidIn = (output: string) => Number(/pid=(\d+)/.exec(output)![1]);

describe("an eval checker", () => {
  it("that leaves a process in the background: its verdict comes when the shell exits, and the process is ended", async () => {
    const started = Date.now();
    const result = await runChecker(task("sleep 300 & echo pid=$!; exit 0"), tmpdir(), "/dev/null", 60);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result).toMatchObject({ exitCode: 0, timedOut: false });
    await expect.poll(() => isLive(pidIn(result.output))).toBe(false);
  });

  it("past its limit: the group gets SIGTERM, then SIGKILL for what ignores it; no exit code, timed out", async () => {
    const started = Date.now();
    const result = await runChecker(task(`(trap "" TERM; sleep 300) & echo pid=$!; wait`), tmpdir(), "/dev/null", 1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeUndefined();
    await expect.poll(() => isLive(pidIn(result.output))).toBe(false);
  });
});

describe("Python in an eval task's copy", () => {
  it("writes no bytecode: a same-length fix within the second of a test run is never read from a stale .pyc", async () => {
    const copy = mkdtempSync(join(tmpdir(), "mallex-eval-copy-"));
    writeFileSync(join(copy, "stats.py"), "VALUE = 1\n");
    const result = await runChecker(task('python3 -c "import stats; print(stats.VALUE)" && test ! -e __pycache__'), copy, "/dev/null", 60);
    expect(result).toMatchObject({ exitCode: 0, output: "1" });
  });
});

describe("an eval task", () => {
  it("that runs out of time fails, though its checker passes; what Claude Code started is ended", async () => {
    const pidFile = join(mkdtempSync(join(tmpdir(), "mallex-eval-pid-")), "pid");
    // Stands in for Claude Code: a tool's command left running, then no end.
    const claude = { file: "sh", prefix: ["-c", `sleep 300 & echo $! > ${pidFile}; sleep 300`, "claude"] };
    const result = await runEvalTask(
      { ...task("exit 0"), timeoutS: 1 },
      { maxTurns: 3, timeoutS: 60, checkTimeoutS: 30 },
      { claude, env: { PATH: process.env.PATH }, table: defaultTable, watchRequests: () => async () => [] },
    );
    expect(result.timedOut).toBe(true);
    expect(result.checker.exitCode).toBe(0);
    expect(result.passed).toBe(false);
    expect(result.why).toContain("stopped at the task's time limit");
    await expect.poll(() => isLive(Number(readFileSync(pidFile, "utf8")))).toBe(false);
  }, 30_000);
});
