import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultTable } from "../helpers/test-proxy.js";
import { buildEvalReport, explainFailure, type TaskResult } from "../../src/eval/eval-report.js";
import { formatEvalReport } from "../../src/eval/format-eval-report.js";
import { loadSuite } from "../../src/eval/load-suite.js";
import { belowMinPassRate, parseMinPassRate } from "../../src/eval/min-pass-rate.js";
import { changedFiles, makeWorkingCopy } from "../../src/eval/make-working-copy.js";
import { emptyTranscript, foldClaudeLine } from "../../src/eval/read-claude-stream.js";
import { addProxyMetrics, sumProxyMetrics } from "../../src/eval/read-proxy-metrics.js";
import { maskEvalView } from "../../src/observe/dashboard/eval-view.js";
import { parseSwitchList, planEvalSetups } from "../../src/eval/plan-eval-setups.js";
import { variantLabel } from "../../src/eval/run-eval.js";
import { withLocalTiers, withTrimOff } from "../../src/eval/variant-tables.js";
import { summarizeTaskRequests } from "../../src/eval/summarize-task-requests.js";
import { formatInvalidCallNote } from "../../src/translate/tool-calls/resolve-tool-call.js";
import type { RequestSummary } from "../../src/observe/dashboard/summarize-request.js";

function suiteWith(tasks: Record<string, Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), "mallex-suite-"));
  for (const [name, files] of Object.entries(tasks)) {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, file, ".."), { recursive: true });
      writeFileSync(join(dir, name, file), text);
    }
  }
  return dir;
}

describe("loadSuite", () => {
  it("reads each task folder, sorted, with its limits", () => {
    const dir = suiteWith({
      b: { "task.yaml": "check: node check.js\nmax_turns: 4\ntimeout_s: 30\nabout: a thing", "prompt.md": "Do b.\n", "repo/a.txt": "x" },
      a: { "task.yaml": "check: 'true'", "prompt.md": "Do a.", "repo/x": "" },
    });
    const tasks = loadSuite(dir);
    expect(tasks.map((t) => t.name)).toEqual(["a", "b"]);
    expect(tasks[1]).toMatchObject({ prompt: "Do b.", check: "node check.js", maxTurns: 4, timeoutS: 30, about: "a thing", repoDir: join(dir, "b", "repo") });
    expect(loadSuite(dir, ["b"]).map((t) => t.name)).toEqual(["b"]);
  });

  it("stops with the file and what to write when a task is incomplete or mistyped", () => {
    const noCheck = suiteWith({ t: { "task.yaml": "about: x", "prompt.md": "p", "repo/f": "" } });
    expect(() => loadSuite(noCheck)).toThrow(/task t: .*task\.yaml needs check: <command>/);
    const noPrompt = suiteWith({ t: { "task.yaml": "check: 'true'", "repo/f": "" } });
    expect(() => loadSuite(noPrompt)).toThrow(/task t: .*prompt\.md is missing/);
    const noRepo = suiteWith({ t: { "task.yaml": "check: 'true'", "prompt.md": "p" } });
    expect(() => loadSuite(noRepo)).toThrow(/task t: .*repo is missing/);
    const typo = suiteWith({ t: { "task.yaml": "check: 'true'\nmax_turn: 3", "prompt.md": "p", "repo/f": "" } });
    expect(() => loadSuite(typo)).toThrow(/unknown field max_turn/);
    const badTurns = suiteWith({ t: { "task.yaml": "check: 'true'\nmax_turns: -1", "prompt.md": "p", "repo/f": "" } });
    expect(() => loadSuite(badTurns)).toThrow(/max_turns must be a whole number above 0, got -1/);
    expect(() => loadSuite(badTurns, ["nope"])).toThrow(/no task "nope" in .* \(it has t\)/);
    expect(() => loadSuite(join(badTurns, "missing"))).toThrow(/is not a folder/);
  });
});

describe("foldClaudeLine", () => {
  const fold = (lines: object[]) => lines.map((l) => JSON.stringify(l)).reduce(foldClaudeLine, emptyTranscript());

  it("counts model turns by message id, tool calls by name, failed results and mallex's rejected calls", () => {
    const t = fold([
      { type: "system", subtype: "init" },
      { type: "assistant", message: { id: "m1", content: [{ type: "text", text: "Let me look." }] } },
      { type: "assistant", message: { id: "m1", content: [{ type: "tool_use", name: "Read", input: {} }] } },
      { type: "user", message: { content: [{ type: "tool_result", is_error: true, content: "File does not exist." }] } },
      {
        type: "assistant",
        message: {
          id: "m2",
          content: [
            { type: "text", text: formatInvalidCallNote("no tool named Reed", "Reed {}") },
            { type: "tool_use", name: "Bash", input: {} },
            { type: "tool_use", name: "Read", input: {} },
          ],
        },
      },
      { type: "user", message: { content: [{ type: "tool_result", content: [{ type: "text", text: "ok" }] }] } },
      { type: "result", subtype: "success", is_error: false, result: "Done." },
    ]);
    expect(t).toMatchObject({
      turns: 2,
      toolCalls: { Read: 2, Bash: 1 },
      failedToolCalls: 1,
      rejectedToolCalls: 1,
      toolErrors: ["File does not exist."],
      answer: "Done.",
      resultSubtype: "success",
      isError: false,
    });
  });

  it("keeps a failed tool's error line, not the stack Node printed with it", () => {
    const crash = spawnSync(process.execPath, ["-e", 'JSON.parse("{ \\"port\\": 8080, }")'], { encoding: "utf8" }).stderr;
    const t = fold([{ type: "user", message: { content: [{ type: "tool_result", is_error: true, content: `Exit code 1\n${crash}` }] } }]);
    expect(t.toolErrors).toEqual([expect.stringMatching(/^Exit code 1 ⏎ SyntaxError: .*JSON at position \d+$/)]);
  });

  it("ignores lines that are not JSON", () => {
    expect(foldClaudeLine(emptyTranscript(), "warning: something")).toEqual(emptyTranscript());
  });
});

describe("the task's numbers", () => {
  const request = (r: Partial<RequestSummary>): RequestSummary => ({
    id: "r",
    at: "",
    model: "m",
    tier: "medium",
    profile: "qwen3-coder-30b",
    backend: "mlx",
    reason: "default",
    status: 200,
    outcome: "ok",
    durationMs: 1000,
    ...r,
  });

  it("adds up tokens and splits time into waits, prefill and decode; a Claude backend's request is an escalation", () => {
    const table = defaultTable;
    const m = summarizeTaskRequests(
      [
        request({ promptTokens: 1000, cachedTokens: 0, outputTokens: 50, ttftMs: 400, queuedMs: 100, durationMs: 900, prefillMs: 300, decodeMs: 500 }),
        request({ promptTokens: 1200, cachedTokens: 1000, outputTokens: 20, ttftMs: 100, durationMs: 300, prefillMs: 100, decodeMs: 200 }),
        request({ backend: "anthropic", tier: "high", durationMs: 2000, outcome: "error", status: 529 }),
      ],
      table,
    );
    expect(m).toEqual({
      requests: 3,
      escalations: 1,
      failedRequests: 1,
      promptTokens: 2200,
      cachedTokens: 1000,
      outputTokens: 70,
      firstTtftMs: 400,
      meanTtftMs: 250,
      prefillMs: 300 + 100,
      decodeMs: 500 + 200,
      waitMs: 100,
      modelMs: 3200,
      repairedToolCalls: 0,
      rejectedToolCalls: 0,
      forcedCallRetries: 0,
      unknownCallRetries: 0,
    });
  });

  it("adds up the calls mallex repaired or could not run, and its forced-call retries, from each request's summary", () => {
    const m = summarizeTaskRequests(
      [
        request({ toolCalls: 3, repairedToolCalls: 2, rejectedToolCalls: 1 }),
        request({ toolCalls: 1, repairedToolCalls: 0, rejectedToolCalls: 0, forcedCallRetries: 2 }),
        request({}),
      ],
      defaultTable,
    );
    expect(m).toMatchObject({ repairedToolCalls: 2, rejectedToolCalls: 1, forcedCallRetries: 2 });
  });

  it("reads the proxy's /metrics counters summed over routes", () => {
    const text = [
      'mallex_prompt_tokens_total{tier="medium",profile="a",backend="b"} 100',
      'mallex_prompt_tokens_total{tier="low",profile="c",backend="b"} 20',
      "# HELP x",
      'mallex_tool_calls_total{tier="medium",profile="a",backend="b",outcome="repaired"} 3',
      'mallex_tool_calls_total{tier="medium",profile="a",backend="b",outcome="ran"} 5',
      'mallex_tool_calls_total{tier="low",profile="c",backend="b",outcome="rejected"} 1',
      'mallex_time_to_first_token_seconds_sum{tier="medium"} 0.5',
      'mallex_time_to_first_token_seconds_count{tier="medium"} 2',
      'mallex_time_to_first_token_seconds_bucket{le="1"} 2',
    ].join("\n");
    expect(sumProxyMetrics(text)).toEqual({
      requests: 0,
      promptTokens: 120,
      cachedTokens: 0,
      outputTokens: 0,
      ttftCount: 2,
      ttftSecondsSum: 0.5,
      repairedToolCalls: 3,
      rejectedToolCalls: 1,
    });
    // A run of several setups reads each proxy before it closes: the sum is the run's.
    const one = {
      requests: 2,
      promptTokens: 10,
      cachedTokens: 4,
      outputTokens: 3,
      ttftCount: 2,
      ttftSecondsSum: 0.25,
      repairedToolCalls: 1,
      rejectedToolCalls: 0,
    };
    expect(addProxyMetrics(one, one)).toEqual({
      requests: 4,
      promptTokens: 20,
      cachedTokens: 8,
      outputTokens: 6,
      ttftCount: 4,
      ttftSecondsSum: 0.5,
      repairedToolCalls: 2,
      rejectedToolCalls: 0,
    });
    expect(addProxyMetrics(undefined, one)).toBe(one);
  });
});

/** A task's result with round figures. */
const result = (task: string, passed: boolean, why?: string): TaskResult => ({
  task,
  passed,
  ...(why ? { why } : {}),
  wallMs: 2000,
  turns: 2,
  toolCalls: 1,
  toolCallsByName: { Bash: 1 },
  failedToolCalls: 0,
  rejectedToolCalls: 0,
  repairedToolCalls: 0,
  changedFiles: [],
  timedOut: false,
  checker: { exitCode: passed ? 0 : 1, output: "", timedOut: false },
  metrics: {
    requests: 2,
    escalations: 0,
    failedRequests: 0,
    promptTokens: 1000,
    cachedTokens: 500,
    outputTokens: 10,
    meanTtftMs: 300,
    firstTtftMs: 300,
    prefillMs: 600,
    decodeMs: 100,
    waitMs: 0,
    modelMs: 700,
    repairedToolCalls: 0,
    rejectedToolCalls: 0,
    forcedCallRetries: 0,
    unknownCallRetries: 0,
  },
  toolsAndClientMs: 1300,
});

describe("the report", () => {
  it("is a plain table without colour codes, then why each failure failed, then the pass rate", () => {
    const report = buildEvalReport({
      tasks: [result("a", true), result("b", false, "no edits made; checker (exit 1): nope")],
      planned: 3,
      interrupted: true,
      suite: "/s",
      backend: "http://x/v1",
      claudeCode: "2.1.197",
      startedAt: "t",
      wallMs: 4000,
    });
    expect(report).toMatchObject({ pass_rate: 0.5, passed: 1, total: 2, planned: 3, totals: { requests: 4, promptTokens: 2000, meanTtftMs: 300 } });
    const text = formatEvalReport(report, { colour: false });
    expect(text).not.toContain("\u001b[");
    expect(text.split("\n")[2]).toMatch(/^a\s+pass\s+2\s+1 \(0\/0\/0\)\s+1,000 \(500\)\s+10\s+0\.3 s/);
    expect(text).toContain("why:\n  b: no edits made; checker (exit 1): nope");
    expect(text).toContain("passed 1 of 2 (50%) — interrupted: 2 of 3 tasks ran");
    expect(formatEvalReport(report, { colour: true })).toContain("\u001b[32mpass\u001b[39m");
  });

  it("with variants compared or runs repeated: each variant's pass rate, its spread over the runs and its totals", () => {
    const tasks = [
      { ...result("a", true), variant: "p1 · trim on", profile: "p1", trim: "on" as const, run: 1 },
      { ...result("b", false, "x"), variant: "p1 · trim on", profile: "p1", trim: "on" as const, run: 1 },
      { ...result("a", true), variant: "p1 · trim on", profile: "p1", trim: "on" as const, run: 2 },
      { ...result("b", true), variant: "p1 · trim on", profile: "p1", trim: "on" as const, run: 2, repairedToolCalls: 1 },
      { ...result("a", false, "y"), variant: "p1 · trim off", profile: "p1", trim: "off" as const, run: 1 },
      { ...result("b", false, "z"), variant: "p1 · trim off", profile: "p1", trim: "off" as const, run: 1 },
    ];
    const report = buildEvalReport({ tasks, planned: 8, interrupted: true, suite: "/s", backend: "b", claudeCode: "v", startedAt: "t", wallMs: 1 });
    expect(report.groups!.map(({ totals: _totals, ...g }) => g)).toEqual([
      { variant: "p1 · trim on", profile: "p1", trim: "on", pass_rate: 0.75, passed: 3, total: 4, runs: [0.5, 1], min: 0.5, max: 1 },
      { variant: "p1 · trim off", profile: "p1", trim: "off", pass_rate: 0, passed: 0, total: 2, runs: [0], min: 0, max: 0 },
    ]);
    expect(report.groups![0]!.totals).toMatchObject({
      requests: 8,
      turns: 8,
      toolCalls: 4,
      repairedToolCalls: 1,
      promptTokens: 4000,
      cachedTokens: 2000,
      wallMs: 8000,
      toolsAndClientMs: 5200,
      prefillMs: 2400,
      decodeMs: 400,
      meanTtftMs: 300,
    });
    expect(report.groups![1]!.totals).toMatchObject({ requests: 4, wallMs: 4000 });
    const text = formatEvalReport(report, { colour: false });
    const lines = text.split("\n");
    const header = lines.findIndex((line) => line.startsWith("variant "));
    expect(lines[header]).toMatch(/^variant\s+passed\s+spread\s+wall\s+turns\s+tools \(failed\/repaired\/rejected\)/);
    expect(lines[header + 2]).toMatch(/^p1 · trim on\s+3 of 4 \(75%\)\s+50%–100% over 2 runs\s+8\.0 s\s+8\s+4 \(0\/1\/0\)\s+4,000 \(2,000\)/);
    expect(lines[header + 3]).toMatch(/^p1 · trim off\s+0 of 2 \(0%\)\s+–\s+4\.0 s/);
    expect(text).toContain("  b (p1 · trim on) #1: x");
    expect(
      buildEvalReport({ tasks: [result("a", true)], planned: 1, interrupted: false, suite: "/s", backend: "b", claudeCode: "v", startedAt: "t", wallMs: 1 })
        .groups,
    ).toBeUndefined();
  });

  it("explains a failure: the run's own failure first, then the checker's error line", () => {
    const why = explainFailure({
      transcript: { ...emptyTranscript(), resultSubtype: "error_max_turns", toolCalls: { Bash: 2 }, failedToolCalls: 1, toolErrors: ["Exit code 1"] },
      changedFiles: [],
      timedOut: false,
      claudeExitCode: 1,
      checkerOutput: "Traceback (most recent call last):\n  File \"x.py\", line 3\nAssertionError: to_roman(4) = 'IIII'\n",
      checkerExitCode: 1,
      checkerTimedOut: false,
      requestErrors: [],
    });
    expect(why).toBe(
      "stopped at the turn limit; no edits made; 1 tool call failed (last: Exit code 1); Claude Code exited with 1; checker (exit 1): AssertionError: to_roman(4) = 'IIII'",
    );
  });
});

describe("--min-pass-rate", () => {
  it("takes a fraction or a percentage, and refuses a bare number above 1 (0.6 or 60?)", () => {
    expect(parseMinPassRate(undefined)).toBeUndefined();
    expect(parseMinPassRate("0.6")).toBe(0.6);
    expect(parseMinPassRate(".5")).toBe(0.5);
    expect(parseMinPassRate("60%")).toBe(0.6);
    expect(parseMinPassRate("100%")).toBe(1);
    expect(parseMinPassRate("0")).toBe(0);
    for (const bad of ["60", "1.5", "-0.1", "abc", "", "110%"])
      expect(() => parseMinPassRate(bad), bad).toThrow(`--min-pass-rate takes a fraction from 0 to 1 or a percentage: 0.6 or 60%, got "${bad}"`);
  });

  it("holds the run to it, or with variants compared each variant on its own", () => {
    const task = (name: string, passed: boolean, variant?: string): TaskResult => ({ ...result(name, passed), ...(variant === undefined ? {} : { variant }) });
    const single = buildEvalReport({
      tasks: [task("a", true), task("b", false), task("c", false)],
      planned: 3,
      interrupted: false,
      suite: "s",
      backend: "b",
      claudeCode: "2",
      startedAt: "t",
      wallMs: 1,
    });
    expect(belowMinPassRate(single, 0.3)).toEqual([]);
    expect(belowMinPassRate(single, 0.5)).toEqual(["the run: 1 of 3 passed (33.3%)"]);
    const compared = buildEvalReport({
      tasks: [task("a", true, "trim on"), task("b", true, "trim on"), task("a", false, "trim off"), task("b", true, "trim off")],
      planned: 4,
      interrupted: false,
      suite: "s",
      backend: "b",
      claudeCode: "2",
      startedAt: "t",
      wallMs: 1,
    });
    // 75% over the run, but one side of the comparison is at 50%.
    expect(belowMinPassRate(compared, 0.6)).toEqual(["variant trim off: 1 of 2 passed (50%)"]);
  });
});

describe("makeWorkingCopy", () => {
  it("makes a git repository of the task's files with one commit, whose later changes git status lists", async () => {
    const repo = suiteWith({ t: { "repo/a.txt": "a", "repo/sub/b.txt": "b" } });
    const copy = await makeWorkingCopy(join(repo, "t", "repo"), "t");
    try {
      expect(await changedFiles(copy.dir)).toEqual([]);
      writeFileSync(join(copy.dir, "sub", "b.txt"), "changed");
      writeFileSync(join(copy.dir, "new.txt"), "new");
      expect((await changedFiles(copy.dir)).sort()).toEqual(["new.txt", "sub/b.txt"]);
    } finally {
      copy.remove();
    }
    expect(existsSync(copy.dir)).toBe(false);
  });

  it("names a task's working copy the same in every run (its path is in the model's prompt): the first free of name-1, name-2…", async () => {
    const repo = suiteWith({ "same-name": { "repo/a.txt": "a" } });
    const task = `same-name-${process.pid}`;
    const first = await makeWorkingCopy(join(repo, "same-name", "repo"), task);
    const second = await makeWorkingCopy(join(repo, "same-name", "repo"), task);
    try {
      expect(first.dir).toBe(join(tmpdir(), `mallex-eval-${task}-1`, "repo"));
      expect(second.dir).toBe(join(tmpdir(), `mallex-eval-${task}-2`, "repo"));
    } finally {
      first.remove();
      second.remove();
    }
    const again = await makeWorkingCopy(join(repo, "same-name", "repo"), task);
    again.remove();
    expect(again.dir).toBe(first.dir);
  });

  it("says git is needed when there is none, and leaves nothing behind", async () => {
    const repo = suiteWith({ t: { "repo/a.txt": "a" } });
    const path = process.env.PATH;
    const before = readdirSync(tmpdir()).filter((name) => name.startsWith("mallex-eval-t-")).length;
    process.env.PATH = mkdtempSync(join(tmpdir(), "mallex-empty-path-"));
    try {
      await expect(makeWorkingCopy(join(repo, "t", "repo"), "t")).rejects.toThrow(
        "mallex eval: cannot make task t's working copy: git is not installed (each task's working copy is a git repository): install git",
      );
    } finally {
      process.env.PATH = path;
    }
    expect(readdirSync(tmpdir()).filter((name) => name.startsWith("mallex-eval-t-")).length).toBe(before);
  });
});

describe("variants", () => {
  it("reads --trim and --escalation as the values to compare, once each, and refuses anything else", () => {
    expect(parseSwitchList([], "--trim")).toBeUndefined();
    expect(parseSwitchList(["on,off"], "--trim")).toEqual(["on", "off"]);
    expect(parseSwitchList(["off", "ON", "off"], "--trim")).toEqual(["off", "on"]);
    expect(() => parseSwitchList(["of"], "--trim")).toThrow('--trim takes on, off or on,off (to compare both), got "of"');
  });

  it("plans one proxy per config × trimming × escalation, in that order", () => {
    expect(planEvalSetups({ configs: [] })).toEqual([{}]);
    expect(planEvalSetups({ configs: ["a.yaml", "b.yaml"], trim: ["on", "off"] })).toEqual([
      { config: "a.yaml", trim: "on" },
      { config: "a.yaml", trim: "off" },
      { config: "b.yaml", trim: "on" },
      { config: "b.yaml", trim: "off" },
    ]);
    expect(planEvalSetups({ configs: [], escalation: ["off"] })).toEqual([{ escalation: "off" }]);
    expect(() => planEvalSetups({ configs: ["a.yaml", "a.yaml"] })).toThrow("--config a.yaml is given twice");
  });

  it("names a variant by what varies in the run", () => {
    expect(variantLabel({ profile: "p", trim: "off", config: "a.yaml" }, new Set(["trim"]))).toBe("trim off");
    expect(variantLabel({ profile: "p", trim: "off", config: "a.yaml" }, new Set(["config", "profile", "trim"]))).toBe("a.yaml · p · trim off");
    expect(variantLabel({ escalation: "off" }, new Set(["profile", "escalation"]))).toBe("routing · escalation off");
    expect(variantLabel({}, new Set())).toBe("routing");
  });

  it("trim off: every local profile as with trim: false; escalation off: each tier that goes to Claude on its fallback's local profile", () => {
    const untrimmed = withTrimOff(defaultTable);
    for (const profile of Object.values(untrimmed.profiles))
      expect(profile.trim, profile.name).toBe(defaultTable.backends[profile.backend]!.kind === "anthropic" ? undefined : false);
    expect(defaultTable.tiers.high.profile).toBe("claude-sonnet");
    const local = withLocalTiers(defaultTable);
    expect(local.tiers.high).toEqual({ ...defaultTable.tiers.high, profile: defaultTable.tiers.medium.profile });
    expect(local.tiers.medium).toBe(defaultTable.tiers.medium);
    const noFallback = { ...defaultTable, tiers: { ...defaultTable.tiers, high: { profile: "claude-sonnet" } } };
    expect(() => withLocalTiers(noFallback)).toThrow("tier high goes to Claude (profile claude-sonnet) and no fallback of it is a local profile");
  });
});

describe("the dashboard's view of a run", () => {
  it("leaves out the model's answers and the checkers' output, keeping each failure's why", () => {
    const report = buildEvalReport({
      tasks: [
        {
          task: "a",
          passed: false,
          why: "checker (exit 1): expected 4",
          answer: "secret words",
          wallMs: 1,
          turns: 1,
          toolCalls: 0,
          toolCallsByName: {},
          failedToolCalls: 0,
          rejectedToolCalls: 0,
          repairedToolCalls: 0,
          changedFiles: [],
          timedOut: false,
          checker: { exitCode: 1, output: "long output", timedOut: false },
          metrics: summarizeTaskRequests([], defaultTable),
          toolsAndClientMs: 1,
        },
      ],
      planned: 1,
      interrupted: false,
      suite: "/s",
      backend: "b",
      claudeCode: "v",
      startedAt: "t",
      wallMs: 1,
    });
    const masked = maskEvalView({ state: "finished", report });
    expect(masked.report.tasks[0]).not.toHaveProperty("answer");
    expect(masked.report.tasks[0]!.checker).toEqual({ exitCode: 1, output: "", timedOut: false });
    expect(masked.report.tasks[0]!.why).toBe("checker (exit 1): expected 4");
    expect(report.tasks[0]!.answer).toBe("secret words");
  });
});
