import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import { buildEvalReport, type TaskResult } from "../../src/eval/eval-report.js";
import { evalRunRecord } from "../../src/eval/eval-run-record.js";
import { evalServing } from "../../src/eval/eval-serving.js";
import { EVAL_HISTORY_LIMIT, evalHistoryDir, readEvalHistory, saveEvalRun, type EvalRunRecord, type EvalRunVariant } from "../../src/observe/eval-history.js";
import { evalScoresByModel } from "../../src/observe/eval-scores.js";
import { testProfile } from "../helpers/trim-helpers.js";

const home = () => mkdtempSync(join(tmpdir(), "mallex-evals-"));
const MLX = { kind: "openai", flavor: "mlx", url: "started by mallex" } as const;
const GGUF = "/home/me/.mallex/models/qwen2.5-coder-7b-q4_k_m.gguf";

const variant = (overrides: Partial<EvalRunVariant> = {}): EvalRunVariant => ({
  variant: "routing",
  profile: "coder",
  pinned: false,
  model: "org/coder-30b",
  backend: "mlx",
  server: MLX,
  passRate: 0.75,
  passed: 3,
  total: 4,
  runs: [0.75],
  ...overrides,
});

const run = (date: string, variants: EvalRunVariant[] = [variant()]): EvalRunRecord => ({
  format: 1,
  date,
  state: "finished",
  suite: { path: "/pkg/eval/suite", tasks: 4 },
  wallMs: 61_000,
  claudeCode: "2.1.197",
  mallex: "0.1.0",
  variants,
});

describe("saveEvalRun and readEvalHistory", () => {
  it("keeps one private file per run and reads them back newest first, whatever order they were saved in", () => {
    const dir = home();
    const older = saveEvalRun(dir, run("2025-06-01T09:00:00.000Z"));
    const newest = saveEvalRun(dir, run("2025-06-03T09:00:00.000Z", [variant({ passRate: 1, passed: 4, runs: [1] })]));
    const middle = saveEvalRun(dir, { ...run("2025-06-02T09:00:00.000Z"), state: "interrupted", suite: { path: "/s", tasks: 2, only: ["a", "b"] } });
    expect(readdirSync(evalHistoryDir(dir)).sort()).toHaveLength(3);
    expect(older).toMatch(/evals\/2025-06-01T09-00-00-000Z-[0-9a-f]{8}\.json$/);
    if (process.platform !== "win32") {
      expect(statSync(evalHistoryDir(dir)).mode & 0o777).toBe(0o700);
      expect(statSync(newest).mode & 0o777).toBe(0o600);
    }
    const { runs, unreadable } = readEvalHistory(dir);
    expect(unreadable).toEqual([]);
    expect(runs.map((r) => [r.date, r.state, r.variants[0]!.passRate])).toEqual([
      ["2025-06-03T09:00:00.000Z", "finished", 1],
      ["2025-06-02T09:00:00.000Z", "interrupted", 0.75],
      ["2025-06-01T09:00:00.000Z", "finished", 0.75],
    ]);
    expect(runs[1]).toEqual({
      ...run("2025-06-02T09:00:00.000Z"),
      state: "interrupted",
      suite: { path: "/s", tasks: 2, only: ["a", "b"] },
      file: middle.split("/").at(-1),
    });
  });

  it("skips and names each file it cannot read, and never throws; no folder is no runs", () => {
    expect(readEvalHistory(home())).toEqual({ runs: [], unreadable: [] });
    const dir = home();
    saveEvalRun(dir, run("2025-06-01T09:00:00.000Z"));
    const evals = evalHistoryDir(dir);
    writeFileSync(join(evals, "broken.json"), "{not json");
    writeFileSync(join(evals, "future.json"), JSON.stringify({ ...run("2025-06-01T09:00:00.000Z"), format: 2 }));
    writeFileSync(join(evals, "no-model.json"), JSON.stringify(run("2025-06-01T09:00:00.000Z", [{ ...variant(), model: 7 } as unknown as EvalRunVariant])));
    writeFileSync(join(evals, "rate.json"), JSON.stringify(run("2025-06-01T09:00:00.000Z", [variant({ passRate: 3 })])));
    mkdirSync(join(evals, "folder.json"));
    // A write under way and a file of someone else's are not runs.
    writeFileSync(join(evals, "2025-06-05T00-00-00-000Z-00000000.json.123.tmp"), "{");
    writeFileSync(join(evals, "notes.txt"), "mine");
    const { runs, unreadable } = readEvalHistory(dir);
    expect(runs).toHaveLength(1);
    expect(unreadable.map((u) => u.file)).toEqual(["broken.json", "folder.json", "future.json", "no-model.json", "rate.json"]);
    expect(unreadable.find((u) => u.file === "future.json")!.reason).toBe("not a format 1 eval run");
    expect(unreadable.find((u) => u.file === "no-model.json")!.reason).toBe("variants[0].model is not text");
    expect(unreadable.find((u) => u.file === "rate.json")!.reason).toBe("variants[0].passRate is not a rate between 0 and 1");
    expect(unreadable.find((u) => u.file === "folder.json")!.reason).toContain("EISDIR");
    expect(unreadable.find((u) => u.file === "broken.json")!.reason).toMatch(/JSON/);
  });

  it(`keeps the newest ${EVAL_HISTORY_LIMIT} runs: each run past them removes the oldest, and leaves other files alone`, () => {
    const dir = home();
    const evals = evalHistoryDir(dir);
    mkdirSync(evals, { recursive: true });
    const day = Date.parse("2025-01-01T00:00:00.000Z");
    const text = JSON.stringify(run("2025-01-01T00:00:00.000Z"));
    for (let i = 0; i < EVAL_HISTORY_LIMIT; i++) {
      const stamp = new Date(day + i * 60_000).toISOString().replace(/[:.]/g, "-");
      writeFileSync(join(evals, `${stamp}-${i.toString(16).padStart(8, "0")}.json`), text);
    }
    writeFileSync(join(evals, "notes.json"), "{}");
    saveEvalRun(dir, run("2025-06-01T00:00:00.000Z"));
    const names = readdirSync(evals).sort();
    expect(names).toHaveLength(EVAL_HISTORY_LIMIT + 1);
    expect(names).not.toContain("2025-01-01T00-00-00-000Z-00000000.json");
    expect(names[0]).toBe("2025-01-01T00-01-00-000Z-00000001.json");
    expect(names).toContain("notes.json");
    expect(readEvalHistory(dir).runs[0]!.date).toBe("2025-06-01T00:00:00.000Z");
    // A smaller bound, as asked.
    saveEvalRun(dir, run("2025-06-02T00:00:00.000Z"), { limit: 2 });
    expect(
      readdirSync(evals)
        .filter((name) => name.startsWith("2025-0"))
        .sort(),
    ).toEqual([expect.stringMatching(/^2025-06-01T/), expect.stringMatching(/^2025-06-02T/)]);
  });
});

describe("evalScoresByModel", () => {
  it("gives each model its runs' pass rates with date, suite and settings, newest first", () => {
    const runs = [
      run("2025-06-03T00:00:00.000Z", [
        variant({
          variant: "small · trim off",
          profile: "small",
          pinned: true,
          model: GGUF,
          server: { kind: "openai", flavor: "embedded", url: "embedded" },
          trim: "off",
          passRate: 0.5,
          passed: 2,
        }),
        variant({ variant: "coder · trim off", pinned: true, trim: "off", passRate: 1, passed: 4 }),
      ]),
      run("2025-06-01T00:00:00.000Z"),
    ];
    const scores = evalScoresByModel(runs);
    expect(scores.map((s) => [s.model, s.scores.map((score) => [score.date, score.passRate, score.suite.path, score.trim ?? "-"])])).toEqual([
      [GGUF, [["2025-06-03T00:00:00.000Z", 0.5, "/pkg/eval/suite", "off"]]],
      [
        "org/coder-30b",
        [
          ["2025-06-03T00:00:00.000Z", 1, "/pkg/eval/suite", "off"],
          ["2025-06-01T00:00:00.000Z", 0.75, "/pkg/eval/suite", "-"],
        ],
      ],
    ]);
    expect(scores[0]!.scores[0]).toEqual({
      variant: "small · trim off",
      profile: "small",
      pinned: true,
      backend: "mlx",
      server: { kind: "openai", flavor: "embedded", url: "embedded" },
      trim: "off",
      passRate: 0.5,
      passed: 2,
      total: 4,
      runs: [0.75],
      date: "2025-06-03T00:00:00.000Z",
      state: "finished",
      suite: { path: "/pkg/eval/suite", tasks: 4 },
      claudeCode: "2.1.197",
      mallex: "0.1.0",
    });
  });
});

/** A routing table with one local profile on the default tier and one on a server of its own. */
const table = {
  routing: { defaultTier: "medium" },
  tiers: { medium: { profile: "coder" } },
  profiles: {
    coder: testProfile({ name: "coder", backend: "mlx", model: "org/coder-30b" }),
    small: testProfile({ name: "small", backend: "box", model: GGUF }),
  },
  backends: {
    mlx: { kind: "openai", flavor: "mlx", baseUrl: "http://127.0.0.1:{port}/v1", headers: {} },
    box: { kind: "openai", flavor: "llama-server", baseUrl: "http://gpu-box:8080/v1", headers: {} },
  },
} as unknown as RoutingTable;
const backends = {
  mlx: { kind: "openai", flavor: "mlx", supervised: true },
  box: { kind: "openai", flavor: "llama-server", baseUrl: "http://gpu-box:8080/v1" },
} as const;

describe("evalServing", () => {
  it("names the pinned profile, or the routing's default tier's, with its model and the server the proxy sends to", () => {
    expect(evalServing(table, backends, undefined)).toEqual({ profile: "coder", pinned: false, model: "org/coder-30b", backend: "mlx", server: MLX });
    expect(evalServing(table, backends, "small")).toEqual({
      profile: "small",
      pinned: true,
      model: GGUF,
      backend: "box",
      server: { kind: "openai", flavor: "llama-server", url: "http://gpu-box:8080/v1" },
    });
  });
});

const task = (name: string, passed: boolean, fields: Partial<TaskResult> = {}): TaskResult =>
  ({ task: name, passed, wallMs: 1_000, turns: 1, toolCalls: 1, metrics: { requests: 1 }, ...fields }) as unknown as TaskResult;

describe("evalRunRecord", () => {
  const base = { planned: 4, suite: "/pkg/eval/suite", backend: "coder", claudeCode: "2.1.197", startedAt: "2025-06-04T12:00:00.000Z", wallMs: 42_000 };

  it("scores each variant that finished a task, with its settings and what served it", () => {
    const report = buildEvalReport({
      ...base,
      interrupted: false,
      tasks: [
        task("a", true, { variant: "coder", profile: "coder", run: 1 }),
        task("a", true, { variant: "coder", profile: "coder", run: 2 }),
        task("a", false, { variant: "small", profile: "small", run: 1 }),
        task("a", true, { variant: "small", profile: "small", run: 2 }),
      ],
      variants: [
        { variant: "coder", ...evalServing(table, backends, "coder") },
        { variant: "small", ...evalServing(table, backends, "small") },
      ],
    });
    expect(evalRunRecord(report, { tasks: 1, only: ["a"], mallex: "0.1.0" })).toEqual({
      format: 1,
      date: "2025-06-04T12:00:00.000Z",
      state: "finished",
      suite: { path: "/pkg/eval/suite", tasks: 1, only: ["a"] },
      wallMs: 42_000,
      claudeCode: "2.1.197",
      mallex: "0.1.0",
      variants: [
        {
          variant: "coder",
          profile: "coder",
          pinned: true,
          model: "org/coder-30b",
          backend: "mlx",
          server: MLX,
          passRate: 1,
          passed: 2,
          total: 2,
          runs: [1, 1],
        },
        {
          variant: "small",
          profile: "small",
          pinned: true,
          model: GGUF,
          backend: "box",
          server: { kind: "openai", flavor: "llama-server", url: "http://gpu-box:8080/v1" },
          passRate: 0.5,
          passed: 1,
          total: 2,
          runs: [0, 1],
        },
      ],
    });
  });

  it("keeps an interrupted run's finished tasks, drops a variant it never scored, and makes no record of a run that scored nothing", () => {
    const variants = [
      { variant: "trim on", trim: "on" as const, ...evalServing(table, backends, undefined) },
      { variant: "trim off", trim: "off" as const, ...evalServing(table, backends, undefined) },
    ];
    const cut = buildEvalReport({ ...base, interrupted: true, tasks: [task("a", false, { variant: "trim on", trim: "on" })], variants });
    const record = evalRunRecord(cut, { tasks: 2, mallex: "0.1.0" });
    expect(record?.state).toBe("interrupted");
    expect(record?.suite).toEqual({ path: "/pkg/eval/suite", tasks: 2 });
    expect(record?.variants).toEqual([{ ...variants[0], passRate: 0, passed: 0, total: 1, runs: [0] }]);
    expect(evalRunRecord(buildEvalReport({ ...base, interrupted: true, tasks: [], variants }), { tasks: 2, mallex: "0.1.0" })).toBeUndefined();
    // What a run saves reads back as it was.
    const dir = home();
    saveEvalRun(dir, record!);
    const { runs } = readEvalHistory(dir);
    expect(runs.map(({ file: _file, ...r }) => r)).toEqual([record]);
    expect(JSON.parse(readFileSync(join(evalHistoryDir(dir), runs[0]!.file), "utf8"))).toEqual(record);
  });
});
