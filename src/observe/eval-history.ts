import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { makePrivateDir } from "../shared/files/private-files.js";
import { writeFileAtomic } from "../shared/files/write-file-atomic.js";
import { parseMeasuredServer, type MeasuredServer } from "./measured-server.js";
import { isRecord } from "./read-profile-file.js";

/** The folder of MALLEX_HOME that keeps one file per `mallex eval` run (private, as all of MALLEX_HOME). */
export const EVAL_HISTORY_DIR = "evals";
/** The runs kept: past this many, each new run removes the oldest, so the folder cannot grow forever. docs/eval.md says it. */
export const EVAL_HISTORY_LIMIT = 200;
const FORMAT = 1;
/** The files this store writes: the run's start (":" and "." made "-", so names sort as dates do) and a random tail. */
const RUN_FILE = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-[0-9a-f]{8}\.json$/;

/** What served one variant of a run: the profile Claude Code was pinned to, or its routing's default tier's. */
export interface EvalServing {
  profile: string;
  /** `--profile` pinned it; false: the config's routing decided, and `profile` is its default tier's. */
  pinned: boolean;
  /** The profile's model as the run's table named it: a Hugging Face id, a GGUF path (`--embedded`: absolute), an hf: URI. */
  model: string;
  /** The backend's name in the config, and the server its requests went to. */
  backend: string;
  server: MeasuredServer;
}

/** One variant of a run: its settings (as `mallex eval`'s report names them) and what served it. */
export interface EvalVariantSettings extends EvalServing {
  /** The variant in words, as the report's groups name it ("routing" when nothing varied). */
  variant: string;
  config?: string;
  trim?: "on" | "off";
  escalation?: "on" | "off";
}

/** A variant's score in a run. */
export interface EvalRunVariant extends EvalVariantSettings {
  /** Passed over tasks that finished (all runs of `--repeat`). */
  passRate: number;
  passed: number;
  total: number;
  /** Each `--repeat` run's pass rate, in order. */
  runs: number[];
}

/** One `mallex eval` run as the history keeps it: what the Models page and `mallex models` read. */
export interface EvalRunRecord {
  format: typeof FORMAT;
  /** When the run started (RFC 3339). */
  date: string;
  /** Finished, or stopped by Ctrl-C (its scores count the tasks that finished). */
  state: "finished" | "interrupted";
  /** The suite's folder and its tasks the run chose (`only`: the `--task` names, when given). */
  suite: { path: string; tasks: number; only?: string[] };
  wallMs: number;
  claudeCode: string;
  mallex: string;
  variants: EvalRunVariant[];
}

/** A run read back, with its file's name in {@link EVAL_HISTORY_DIR}. */
export type StoredEvalRun = EvalRunRecord & { file: string };

export const evalHistoryDir = (mallexHome: string) => join(mallexHome, EVAL_HISTORY_DIR);

/**
 * Adds a run to the history, whole or not at all, then removes the oldest runs past `limit`. Returns the
 * file written. A failure to write throws (the caller says so: it costs the history, never the run);
 * one to remove an old run does not (it goes at the next).
 */
export function saveEvalRun(mallexHome: string, run: EvalRunRecord, options: { limit?: number } = {}): string {
  const dir = evalHistoryDir(mallexHome);
  makePrivateDir(dir);
  const stamp = new Date(Date.parse(run.date)).toISOString().replace(/[:.]/g, "-");
  const file = join(dir, `${stamp}-${randomBytes(4).toString("hex")}.json`);
  writeFileAtomic(file, `${JSON.stringify(run, null, 2)}\n`);
  pruneEvalHistory(dir, options.limit ?? EVAL_HISTORY_LIMIT);
  return file;
}

/** Removes the oldest of the runs this store wrote past `limit` (another file in the folder is left alone). */
function pruneEvalHistory(dir: string, limit: number): void {
  const runs = readdirSync(dir)
    .filter((name) => RUN_FILE.test(name))
    .sort();
  for (const name of runs.slice(0, Math.max(0, runs.length - limit))) rmSync(join(dir, name), { force: true });
}

/**
 * Every run kept under this MALLEX_HOME, newest first. Never throws: a file that cannot be read or is
 * not a run this store wrote is named in `unreadable` with why, and skipped; no folder is no runs.
 */
export function readEvalHistory(mallexHome: string): { runs: StoredEvalRun[]; unreadable: Array<{ file: string; reason: string }> } {
  const dir = evalHistoryDir(mallexHome);
  const runs: StoredEvalRun[] = [];
  const unreadable: Array<{ file: string; reason: string }> = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") unreadable.push({ file: dir, reason: (error as Error).message });
    return { runs, unreadable };
  }
  // A write under way is a .tmp file beside its target: not a run yet.
  for (const file of names.filter((name) => name.endsWith(".json")).sort()) {
    try {
      runs.push({ ...parseEvalRun(JSON.parse(readFileSync(join(dir, file), "utf8")) as unknown), file });
    } catch (error) {
      unreadable.push({ file, reason: (error as Error).message });
    }
  }
  runs.sort((a, b) => Date.parse(b.date) - Date.parse(a.date) || (a.file < b.file ? 1 : -1));
  return { runs, unreadable };
}

/** Pure: a stored run checked field by field (only what the record has is kept), or a throw saying what is wrong. */
export function parseEvalRun(value: unknown): EvalRunRecord {
  if (!isRecord(value)) throw new Error("not a JSON object");
  if (value.format !== FORMAT) throw new Error(`not a format ${FORMAT} eval run`);
  const date = text(value.date, "date");
  if (Number.isNaN(Date.parse(date))) throw new Error(`date "${date}" is not a date`);
  if (value.state !== "finished" && value.state !== "interrupted") throw new Error("state is not finished or interrupted");
  if (!isRecord(value.suite)) throw new Error("suite is not an object");
  const suite: EvalRunRecord["suite"] = { path: text(value.suite.path, "suite.path"), tasks: count(value.suite.tasks, "suite.tasks") };
  if (value.suite.only !== undefined) suite.only = texts(value.suite.only, "suite.only");
  if (!Array.isArray(value.variants)) throw new Error("variants is not a list");
  return {
    format: FORMAT,
    date,
    state: value.state,
    suite,
    wallMs: count(value.wallMs, "wallMs"),
    claudeCode: text(value.claudeCode, "claudeCode"),
    mallex: text(value.mallex, "mallex"),
    variants: value.variants.map((v, i) => parseVariant(v, `variants[${i}]`)),
  };
}

function parseVariant(value: unknown, where: string): EvalRunVariant {
  if (!isRecord(value)) throw new Error(`${where} is not an object`);
  const passRate = value.passRate;
  if (typeof passRate !== "number" || !(passRate >= 0 && passRate <= 1)) throw new Error(`${where}.passRate is not a rate between 0 and 1`);
  if (typeof value.pinned !== "boolean") throw new Error(`${where}.pinned is not true or false`);
  const runs = value.runs;
  if (!Array.isArray(runs) || !runs.every((r) => typeof r === "number" && r >= 0 && r <= 1)) throw new Error(`${where}.runs is not a list of rates`);
  const variant: EvalRunVariant = {
    variant: text(value.variant, `${where}.variant`),
    profile: text(value.profile, `${where}.profile`),
    pinned: value.pinned,
    model: text(value.model, `${where}.model`),
    backend: text(value.backend, `${where}.backend`),
    server: parseMeasuredServer(value.server, where),
    passRate,
    passed: count(value.passed, `${where}.passed`),
    total: count(value.total, `${where}.total`),
    runs: runs as number[],
  };
  if (value.config !== undefined) variant.config = text(value.config, `${where}.config`);
  if (value.trim !== undefined) variant.trim = onOff(value.trim, `${where}.trim`);
  if (value.escalation !== undefined) variant.escalation = onOff(value.escalation, `${where}.escalation`);
  return variant;
}

function text(value: unknown, where: string): string {
  if (typeof value !== "string") throw new Error(`${where} is not text`);
  return value;
}

function texts(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw new Error(`${where} is not a list of text`);
  return value as string[];
}

function count(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new Error(`${where} is not a count`);
  return value;
}

function onOff(value: unknown, where: string): "on" | "off" {
  if (value !== "on" && value !== "off") throw new Error(`${where} is not on or off`);
  return value;
}
