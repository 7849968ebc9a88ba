import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EvalReport } from "../src/eval/eval-report.js";
import { loadSuite } from "../src/eval/load-suite.js";
import { createFakeMlxServer, DEFAULT_MODEL, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { competentCoder, sloppyCoder, talkingCoder } from "./fakes/scripted-coder.js";
import { evalHistoryDir, readEvalHistory } from "../src/observe/eval-history.js";
import { PINNED_CLAUDE_CODE } from "./helpers/claude-code-versions.js";
import { ONE_LOCAL_PROFILE } from "./helpers/config-tree.js";
import { MALLEX_BIN } from "./helpers/run-cli.js";
import { runEval, toolPath } from "./helpers/run-eval.js";
import { describeWithShared, sharedPath } from "./helpers/shared-dir.js";

/**
 * `mallex eval` end to end, as a user runs it: the built CLI serves, launches the pinned real Claude
 * Code on each shipped task in a throwaway git repository, and scores it by the task's checker.
 */
const SUITE = loadSuite(join(dirname(MALLEX_BIN), "..", "eval", "suite"));

/** The request lines of mallex.log: prompt (cached) and output tokens, and the ttft each says. */
function logTotals(log: string) {
  const lines = log.split("\n").filter((line) => / · stop | · error: /.test(line) && line.includes(" → "));
  let promptTokens = 0;
  let cachedTokens = 0;
  let outputTokens = 0;
  let ttftSeconds = 0;
  for (const line of lines) {
    const prompt = / · prompt (\d+) tok \((\d+) cached\)/.exec(line);
    if (prompt) {
      promptTokens += Number(prompt[1]);
      cachedTokens += Number(prompt[2]);
    }
    const out = / · out (\d+) tok/.exec(line);
    if (out) outputTokens += Number(out[1]);
    const ttft = / · ttft (\d+\.\d+) s/.exec(line);
    if (ttft) ttftSeconds += Number(ttft[1]);
  }
  return { requests: lines.length, promptTokens, cachedTokens, outputTokens, ttftSeconds };
}

describe("mallex eval --backend-url (a scripted model through the real Claude Code)", () => {
  let competent: FakeMlxServer;
  let talking: FakeMlxServer;
  let sloppy: FakeMlxServer;
  beforeAll(async () => {
    competent = await createFakeMlxServer({ respond: competentCoder });
    talking = await createFakeMlxServer({ respond: talkingCoder });
    sloppy = await createFakeMlxServer({ respond: sloppyCoder });
  });
  afterAll(async () => {
    await competent.close();
    await talking.close();
    await sloppy.close();
  });

  it("scores a model that does each task 100%, with figures that agree with mallex.log, /metrics and the server's own counts", async () => {
    const { result, report, log, leftWorkingCopies } = await runEval(["--backend-url", competent.url, "--min-pass-rate", "100%"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("--min-pass-rate");
    expect(report, result.stderr).toBeDefined();
    const failures = report!.tasks.filter((t) => !t.passed).map((t) => `${t.task}: ${t.why}`);
    expect(failures).toEqual([]);
    expect(report!.pass_rate).toBe(1);
    expect(report!.tasks.map((t) => t.task)).toEqual(SUITE.map((t) => t.name));
    expect(SUITE.length).toBeGreaterThanOrEqual(12);
    for (const task of report!.tasks) {
      expect(task).toMatchObject({ passed: true, checker: { exitCode: 0 } });
      // Every task needed the model's tools: none passes on a claim.
      expect(task.toolCalls, task.task).toBeGreaterThan(0);
      expect(task.rejectedToolCalls, task.task).toBe(0);
      // Each model turn Claude Code printed was one request through mallex.
      expect(task.metrics.requests).toBe(task.turns);
    }
    // The failed calls are the failing commands the model ran on purpose (the test, the crash), once each.
    const failed = Object.fromEntries(report!.tasks.filter((t) => t.failedToolCalls > 0).map((t) => [t.task, t.failedToolCalls]));
    expect(failed).toEqual({ "fix-crash-config": 1, "fix-js-test": 1, "fix-python-test": 1, "multi-step-fix": 1 });
    expect(report!.tasks.find((t) => t.task === "rename-function")!.changedFiles.sort()).toEqual(["lib/greet.js", "lib/users.js", "main.js"]);

    // The same run, three ways: mallex's log lines, its /metrics at the end, the backend's own usage.
    const totals = report!.totals;
    const fromLog = logTotals(log);
    expect({ requests: fromLog.requests, promptTokens: fromLog.promptTokens, cachedTokens: fromLog.cachedTokens, outputTokens: fromLog.outputTokens }).toEqual({
      requests: totals.requests,
      promptTokens: totals.promptTokens,
      cachedTokens: totals.cachedTokens,
      outputTokens: totals.outputTokens,
    });
    const scraped = report!.proxyMetrics!;
    expect({ requests: scraped.requests, promptTokens: scraped.promptTokens, cachedTokens: scraped.cachedTokens, outputTokens: scraped.outputTokens }).toEqual({
      requests: totals.requests,
      promptTokens: totals.promptTokens,
      cachedTokens: totals.cachedTokens,
      outputTokens: totals.outputTokens,
    });
    const generations = competent.requests.filter((r) => r.prompt !== undefined);
    expect(generations.length).toBe(totals.requests);
    expect(generations.reduce((sum, r) => sum + r.prompt!.tokens, 0)).toBe(totals.promptTokens);
    // Time to first token: each request's is rounded to a millisecond in the report, to 10 in the log.
    const ttftMsSum = report!.tasks.reduce((sum, t) => sum + (t.metrics.meanTtftMs ?? 0) * t.metrics.requests, 0);
    expect(scraped.ttftCount).toBe(totals.requests);
    expect(Math.abs(ttftMsSum - scraped.ttftSecondsSum * 1000)).toBeLessThanOrEqual(totals.requests);
    expect(Math.abs(ttftMsSum - fromLog.ttftSeconds * 1000)).toBeLessThanOrEqual(10 * totals.requests);

    // Progress while it ran, the table at the end, and no working copy left behind.
    // Which config it used, in the line every command prints: in this clone, mallex's own default (issue 50).
    expect(result.stderr).toMatch(/^mallex eval: config: \S*mallex\.yaml \(mallex's default\)$/m);
    expect(result.stderr).toContain(`[1/${SUITE.length}] ${SUITE[0]!.name}: running`);
    expect(result.stderr).toMatch(/: turn 2\n/);
    expect(result.stdout).toContain(`passed ${SUITE.length} of ${SUITE.length} (100%)`);
    expect(result.stdout).not.toContain("\u001b[");
    expect(leftWorkingCopies).toEqual([]);
  }, 600_000);

  it("--profile A --profile B --repeat 2: the suite per profile and run, each pinned to its profile, with the spread", async () => {
    const { result, report, log } = await runEval([
      "--backend-url",
      competent.url,
      "--task",
      "run-command",
      "--profile",
      "qwen3-coder-30b",
      "--profile",
      "qwen2.5-coder-7b",
      "--repeat",
      "2",
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(report!.tasks.map((t) => [t.task, t.profile, t.run, t.passed])).toEqual([
      ["run-command", "qwen3-coder-30b", 1, true],
      ["run-command", "qwen3-coder-30b", 2, true],
      ["run-command", "qwen2.5-coder-7b", 1, true],
      ["run-command", "qwen2.5-coder-7b", 2, true],
    ]);
    expect(report!.groups!.map(({ totals: _totals, ...g }) => g)).toEqual([
      { variant: "qwen3-coder-30b", profile: "qwen3-coder-30b", pass_rate: 1, passed: 2, total: 2, runs: [1, 1], min: 1, max: 1 },
      { variant: "qwen2.5-coder-7b", profile: "qwen2.5-coder-7b", pass_rate: 1, passed: 2, total: 2, runs: [1, 1], min: 1, max: 1 },
    ]);
    // Each run's requests went to its profile, which trimmed to its own size: the small one sends less.
    expect(log.match(/ → qwen2\.5-coder-7b \(model qwen2\.5-coder-7b is a profile\)/g)).toHaveLength(
      report!.tasks.filter((t) => t.profile === "qwen2.5-coder-7b").reduce((n, t) => n + t.metrics.requests, 0),
    );
    const prompt = (profile: string) => report!.tasks.find((t) => t.profile === profile)!.metrics.promptTokens;
    expect(prompt("qwen2.5-coder-7b")).toBeLessThan(prompt("qwen3-coder-30b"));
    expect(result.stdout).toMatch(/\nqwen3-coder-30b\s+2 of 2 \(100%\)\s+100%–100% over 2 runs\s/);
  }, 300_000);

  it("--config A --config B: the suite once per config, compared, each served as its config says (here: trim: false in one)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mallex-eval-configs-"));
    const small = join(dir, "small.yaml");
    const untrimmed = join(dir, "untrimmed.yaml");
    // The model the fake mlx-lm.server holds (any other name is a Hugging Face 404, as with the real one).
    const config = ONE_LOCAL_PROFILE.replace("model: test-model", `model: ${DEFAULT_MODEL}`);
    writeFileSync(small, config);
    writeFileSync(untrimmed, config.replace("size: small", "size: small, trim: false"));
    try {
      const { result, report, log } = await runEval(["--backend-url", competent.url, "--task", "run-command", "--config", small, "--config", untrimmed]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(report!.tasks.map((t) => [t.task, t.variant, t.passed])).toEqual([
        ["run-command", small, true],
        ["run-command", untrimmed, true],
      ]);
      expect(report!.groups!.map((g) => [g.variant, g.pass_rate])).toEqual([
        [small, 1],
        [untrimmed, 1],
      ]);
      // Each config's proxy served its own profile: the one that trims sent less for the same work.
      const [trimmed, whole] = report!.groups!.map((g) => g.totals.promptTokens / g.totals.requests);
      expect(trimmed).toBeLessThan(whole!);
      expect(log.match(/ → coder \(/g)).toHaveLength(report!.totals.requests);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it("--trim on,off: the same tasks trimmed and untrimmed to the same model, compared, with the calls mallex repaired", async () => {
    const { result, report, log, lastEval } = await runEval([
      "--backend-url",
      sloppy.url,
      "--task",
      "run-command",
      "--task",
      "find-function",
      "--trim",
      "on,off",
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(report!.tasks.map((t) => [t.task, t.variant, t.trim, t.passed])).toEqual([
      ["find-function", "trim on", "on", true],
      ["run-command", "trim on", "on", true],
      ["find-function", "trim off", "off", true],
      ["run-command", "trim off", "off", true],
    ]);
    // The contract outside checks read stays at the top level.
    expect(report!.pass_rate).toBe(1);
    const [on, off] = report!.groups!;
    expect([on!.variant, off!.variant]).toEqual(["trim on", "trim off"]);
    // Untrimmed, Claude Code's whole prompt went to the model: far more prompt tokens for the same work.
    expect(off!.totals.promptTokens).toBeGreaterThan(2 * on!.totals.promptTokens);
    expect(off!.totals.turns).toBe(on!.totals.turns);
    // Each untrimmed request's log line: the system prompt passed through, no rule fired.
    const offRequests = off!.totals.requests;
    expect(log.match(/ → qwen3-coder-30b \([^)]*\) · \d+ → \d+ chars \([^)]*\) · rules: no rule fired · /g)).toHaveLength(offRequests);
    // Every call was Python-style JSON: mallex repaired each one, and says so in the report and /metrics alike.
    for (const task of report!.tasks) expect([task.task, task.repairedToolCalls, task.rejectedToolCalls]).toEqual([task.task, task.toolCalls, 0]);
    expect(report!.proxyMetrics).toMatchObject({
      requests: report!.totals.requests,
      promptTokens: report!.totals.promptTokens,
      repairedToolCalls: report!.totals.repairedToolCalls,
      rejectedToolCalls: 0,
    });
    expect(result.stdout).toMatch(/\ntrim on\s+2 of 2 \(100%\)\s+–\s+[\d.]+ s\s+\d+\s+(\d+) \(0\/\1\/0\)/);
    expect(result.stdout).toMatch(/\ntrim off\s+2 of 2 \(100%\)/);
    // The run, saved for the dashboard of any later mallex.
    expect(lastEval).toMatchObject({ state: "finished", report: { pass_rate: 1, total: 4 } });
  }, 300_000);

  it("keeps every run as history (one private file each, with its pass rate, model and server) and the last one for the dashboard", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-eval-home-"));
    try {
      const first = await runEval(["--backend-url", competent.url, "--task", "run-command"], {}, 400_000, home);
      expect(first.result.exitCode, first.result.stderr).toBe(0);
      const second = await runEval(["--backend-url", talking.url, "--task", "run-command"], {}, 400_000, home);
      expect(second.result.exitCode, second.result.stderr).toBe(0);
      expect([first.report!.pass_rate, second.report!.pass_rate]).toEqual([1, 0]);

      const files = readdirSync(evalHistoryDir(home));
      expect(files).toHaveLength(2);
      const { runs, unreadable } = readEvalHistory(home);
      expect(unreadable).toEqual([]);
      // Newest first: the model that only talks, then the one that did the task.
      expect(runs.map((r) => [r.date, r.state, r.variants.map((v) => [v.passRate, v.passed, v.total, v.server.url])])).toEqual([
        [second.report!.startedAt, "finished", [[0, 0, 1, talking.url]]],
        [first.report!.startedAt, "finished", [[1, 1, 1, competent.url]]],
      ]);
      // No --profile: the routing's default tier's profile (this clone's default config), its model, the server --backend-url named.
      expect(runs[1]).toMatchObject({
        suite: { path: first.report!.suite, tasks: 1, only: ["run-command"] },
        claudeCode: PINNED_CLAUDE_CODE.version,
        mallex: JSON.parse(readFileSync(join(dirname(MALLEX_BIN), "..", "package.json"), "utf8")).version,
        wallMs: first.report!.wallMs,
        variants: [
          {
            variant: "routing",
            profile: "qwen3-coder-30b",
            pinned: false,
            model: "mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit",
            backend: "mlx",
            server: { kind: "openai", flavor: "mlx-lm", url: competent.url },
            runs: [1],
          },
        ],
      });
      // The report names what served each variant too, and the dashboard's last run is the second, as before.
      expect(second.report!.variants).toEqual([runs[0]!.variants.map(({ passRate: _r, passed: _p, total: _t, runs: _runs, ...settings }) => settings)[0]]);
      expect(second.lastEval).toMatchObject({ state: "finished", report: { pass_rate: 0, total: 1, startedAt: second.report!.startedAt } });
      expect(first.lastEval).toMatchObject({ state: "finished", report: { pass_rate: 1, total: 1, startedAt: first.report!.startedAt } });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 600_000);

  it("Ctrl-C stops the task that runs, keeps the report of those that finished and removes every working copy", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-eval-home-"));
    const out = join(home, "report.json");
    const temp = join(home, "tmp");
    mkdirSync(temp);
    const child = execa(
      "node",
      [MALLEX_BIN, "eval", "--backend-url", competent.url, "--task", "fix-js-test", "--task", "multi-step-fix", "--task", "rename-function", "--json", out],
      {
        reject: false,
        stdin: "ignore",
        timeout: 120_000,
        extendEnv: false,
        env: { HOME: home, MALLEX_HOME: home, TMPDIR: temp, PATH: await toolPath(), TERM: "dumb", LANG: "C.UTF-8", CLAUDE_CODE_MAX_RETRIES: "0" },
      },
    );
    let stderr = "";
    await new Promise<void>((resolve) => {
      child.stderr!.on("data", (data: Buffer) => {
        stderr += data.toString();
        // The second task is under way: its first turn has begun.
        if (/\[2\/3\] multi-step-fix: turn 1\n/.test(stderr)) resolve();
      });
    });
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode, stderr).toBe(130);
    const report = JSON.parse(readFileSync(out, "utf8")) as EvalReport;
    expect(report).toMatchObject({ interrupted: true, total: 1, planned: 3, pass_rate: 1 });
    expect(report.tasks.map((t) => t.task)).toEqual(["fix-js-test"]);
    expect(result.stdout).toContain("passed 1 of 1 (100%) — interrupted: 1 of 3 tasks ran");
    // The history keeps the stopped run too, scored on the task that finished.
    const history = readEvalHistory(home);
    expect(history.runs.map((r) => [r.state, r.suite.tasks, r.variants.map((v) => [v.passRate, v.total])])).toEqual([["interrupted", 3, [[1, 1]]]]);
    const left = readdirSync(temp).filter((name) => name.startsWith("mallex-eval-"));
    rmSync(home, { recursive: true, force: true });
    expect(left).toEqual([]);
  }, 180_000);

  it("scores a model that only talks 0%, saying why: no tool calls, no edits, the checker's words; --min-pass-rate fails the run", async () => {
    const { result, report, leftWorkingCopies } = await runEval(["--backend-url", talking.url, "--min-pass-rate", "0.5"]);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toContain(`mallex eval: below --min-pass-rate 0.5: the run: 0 of ${SUITE.length} passed (0%)`);
    expect(report!.pass_rate).toBe(0);
    expect(report!.tasks).toHaveLength(SUITE.length);
    for (const task of report!.tasks) {
      expect(task.passed).toBe(false);
      expect(task.why, task.task).toMatch(/^the model made no tool calls; no edits made; checker \(exit [1-9]\d*\): ./);
    }
    expect(report!.tasks.find((t) => t.task === "run-command")!.why).toContain('got: "Done: I fixed the problem and everything works now."');
    expect(result.stdout).toContain(`passed 0 of ${SUITE.length} (0%)`);
    expect(result.stdout).toContain("run-command: the model made no tool calls; no edits made; checker (exit 1): expected ");
    expect(leftWorkingCopies).toEqual([]);
  }, 600_000);
});

describeWithShared("mallex eval --embedded (the tiny random GGUF in the embedded engine)", () => {
  it("scores a random-weight model 0%, and says why", async () => {
    const model = sharedPath("models", "llama-2-tiny-random-chatml.gguf");
    const { result, report, leftWorkingCopies } = await runEval([
      "--embedded",
      model,
      "--threads",
      "1",
      "--ctx-size",
      "16384",
      "--task",
      "answer-question",
      "--max-turns",
      "3",
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(report!.pass_rate).toBe(0);
    expect(report!.tasks).toHaveLength(1);
    const [task] = report!.tasks;
    expect(task!.passed).toBe(false);
    // Real tokens went through the engine: the report counts them as mallex did.
    expect(task!.metrics.requests).toBeGreaterThan(0);
    expect(task!.metrics.promptTokens).toBeGreaterThan(0);
    expect(report!.proxyMetrics!.promptTokens).toBe(task!.metrics.promptTokens);
    expect(task!.why).toMatch(/checker \(exit 1\): expected 3\.5 in the answer/);
    expect(result.stdout).toContain("passed 0 of 1 (0%)");
    expect(leftWorkingCopies).toEqual([]);
  }, 300_000);
});
