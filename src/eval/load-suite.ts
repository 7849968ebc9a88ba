import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { MallexError } from "../shared/mallex-error.js";

/** One task of a suite: a folder with `task.yaml`, `prompt.md` and `repo/` (the files of its git repository). */
export interface EvalTask {
  /** The folder's name. */
  name: string;
  /** The task's folder: checkers live here, outside the working copy the model can edit. */
  dir: string;
  /** The files the working copy starts with (CLAUDE.md among them, when the task has one). */
  repoDir: string;
  prompt: string;
  /** A shell command run in the working copy after Claude Code is done; exit 0 means passed. */
  check: string;
  /** What the task exercises, for the report. */
  about?: string;
  maxTurns?: number;
  timeoutS?: number;
}

/** The longest prompt or task.yaml read: a suite is a handful of small text files. */
const MAX_FILE_BYTES = 64 * 1024;

/**
 * Reads every task folder of a suite, sorted by name. Anything unreadable stops the run before any
 * task starts, with the file and what to write: a typo must not turn into a silent 0%.
 */
export function loadSuite(suiteDir: string, only: readonly string[] = []): EvalTask[] {
  if (!existsSync(suiteDir) || !statSync(suiteDir).isDirectory())
    throw suiteError(`${suiteDir} is not a folder: --suite names a folder with one folder per task`);
  const names = readdirSync(suiteDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort();
  const unknown = only.filter((name) => !names.includes(name));
  if (unknown.length > 0) throw suiteError(`no task ${unknown.map((n) => `"${n}"`).join(", ")} in ${suiteDir} (it has ${names.join(", ") || "none"})`);
  const picked = only.length > 0 ? names.filter((name) => only.includes(name)) : names;
  if (picked.length === 0) throw suiteError(`${suiteDir} has no task folders: each task is a folder with task.yaml, prompt.md and repo/`);
  return picked.map((name) => loadTask(join(suiteDir, name), name));
}

function loadTask(dir: string, name: string): EvalTask {
  const promptFile = join(dir, "prompt.md");
  const taskFile = join(dir, "task.yaml");
  const repoDir = join(dir, "repo");
  for (const file of [promptFile, taskFile]) {
    if (!existsSync(file)) throw suiteError(`task ${name}: ${file} is missing (a task folder has task.yaml with its check command, prompt.md and repo/)`);
    if (statSync(file).size > MAX_FILE_BYTES) throw suiteError(`task ${name}: ${file} is larger than ${MAX_FILE_BYTES / 1024} KiB`);
  }
  if (!existsSync(repoDir) || !statSync(repoDir).isDirectory())
    throw suiteError(`task ${name}: ${repoDir} is missing: the files of the task's repository go there`);
  const prompt = readFileSync(promptFile, "utf8").trim();
  if (prompt === "") throw suiteError(`task ${name}: ${promptFile} is empty`);
  let spec: unknown;
  try {
    spec = parse(readFileSync(taskFile, "utf8"));
  } catch (error) {
    throw suiteError(`task ${name}: ${taskFile} is not YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw suiteError(`task ${name}: ${taskFile} must be a mapping with check: <command>`);
  const fields = spec as Record<string, unknown>;
  const allowed = new Set(["check", "about", "max_turns", "timeout_s"]);
  const extra = Object.keys(fields).filter((key) => !allowed.has(key));
  if (extra.length > 0) throw suiteError(`task ${name}: ${taskFile} has unknown field ${extra.join(", ")} (allowed: ${[...allowed].join(", ")})`);
  if (typeof fields.check !== "string" || fields.check.trim() === "")
    throw suiteError(`task ${name}: ${taskFile} needs check: <command> (run in the working copy; exit 0 passes)`);
  if (fields.about !== undefined && typeof fields.about !== "string") throw suiteError(`task ${name}: ${taskFile}: about must be text`);
  const task: EvalTask = { name, dir, repoDir, prompt, check: fields.check };
  if (typeof fields.about === "string") task.about = fields.about;
  const maxTurns = positiveInteger(fields.max_turns, "max_turns", name, taskFile);
  if (maxTurns !== undefined) task.maxTurns = maxTurns;
  const timeoutS = positiveInteger(fields.timeout_s, "timeout_s", name, taskFile);
  if (timeoutS !== undefined) task.timeoutS = timeoutS;
  return task;
}

function positiveInteger(value: unknown, field: string, name: string, file: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    throw suiteError(`task ${name}: ${file}: ${field} must be a whole number above 0, got ${JSON.stringify(value)}`);
  return value;
}

const suiteError = (message: string) => new MallexError("E_EVAL_SUITE", `mallex eval: ${message}`, { exitCode: 2 });
