import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { execa } from "execa";
import type { RoutingTable } from "../compile/routing-table.js";
import type { RequestSummary } from "../observe/dashboard/summarize-request.js";
import type { EvalTask } from "./load-suite.js";
import { errorGist } from "./error-gist.js";
import { explainFailure, type TaskResult } from "./eval-report.js";
import { limitProcessGroup } from "../shared/limit-process-group.js";
import { changedFiles, makeWorkingCopy } from "./make-working-copy.js";
import { emptyTranscript, foldClaudeLine, totalToolCalls, type ClaudeTranscript } from "./read-claude-stream.js";
import { summarizeTaskRequests } from "./summarize-task-requests.js";

/**
 * No .pyc in a task's copy: Python trusts one whose source has the same size and the same mtime to
 * the second, so a fix of the same length made within a second of a test run (a fast model, a
 * scripted one: "mid] + ordered[mid + 1" for "mid - 1] + ordered[mid") was tested, and checked,
 * as the old code.
 */
const NO_STALE_BYTECODE = { PYTHONDONTWRITEBYTECODE: "1" };
export interface EvalTaskDeps {
  /** How to start Claude Code (claudeCommand's file and prefix). */
  claude: { file: string; prefix: readonly string[] };
  /** Claude Code's environment: pointed at the proxy, with its token. */
  env: Readonly<Record<string, string | undefined>>;
  table: RoutingTable;
  /** Starts collecting the summaries of requests that end from now on; the function returned stops and gives them. */
  watchRequests(): () => Promise<RequestSummary[]>;
  /** A new model turn began (Claude Code printed an assistant message). */
  onTurn?(turn: number): void;
  signal?: AbortSignal;
  now?: () => number;
}

export interface EvalTaskLimits {
  maxTurns: number;
  timeoutS: number;
  /** The checker's own time limit. */
  checkTimeoutS: number;
}

/** The most output kept from the checker and from Claude Code's stderr. */
const MAX_OUTPUT = 2000;
const MAX_ANSWER = 1000;

/**
 * One task, start to end: a fresh working copy, Claude Code non-interactive in it (through the
 * proxy), the task's checker, and the working copy removed whatever happened.
 */
export async function runEvalTask(task: EvalTask, limits: EvalTaskLimits, deps: EvalTaskDeps): Promise<TaskResult> {
  const now = deps.now ?? (() => performance.now());
  const started = now();
  const copy = await makeWorkingCopy(task.repoDir, task.name);
  const stopWatching = deps.watchRequests();
  try {
    const maxTurns = task.maxTurns ?? limits.maxTurns;
    const timeoutMs = (task.timeoutS ?? limits.timeoutS) * 1000;
    const args = [
      ...deps.claude.prefix,
      "-p",
      task.prompt,
      "--output-format",
      "stream-json",
      "--verbose",
      "--max-turns",
      String(maxTurns),
      // A throwaway copy: edits are accepted, and the tools a coding task needs run without asking
      // (-p has no one to ask; a refused call would be scored as the model's failure).
      "--permission-mode",
      "acceptEdits",
      "--allowedTools",
      "Bash,Read,Edit,Write,Glob,Grep,LS",
    ];
    const child = execa(deps.claude.file, args, {
      cwd: copy.dir,
      // Claude Code's settings and sessions go to a throwaway folder: the user's own are neither read nor written.
      env: { ...deps.env, CLAUDE_CONFIG_DIR: join(copy.scratch, "claude"), ...NO_STALE_BYTECODE },
      extendEnv: false,
      stdin: "ignore",
      reject: false,
      // Its group (the tools' commands) is held to the task's limit and ended with it.
      detached: true,
      stderr: "pipe",
      // Its stream is read line by line as it comes (the transcript keeps what matters): not buffered whole.
      buffer: { stdout: false, stderr: true },
    });
    const group = limitProcessGroup(child, { timeoutMs, graceMs: 5000, signal: deps.signal });
    let transcript: ClaudeTranscript = emptyTranscript();
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      const before = transcript.turns;
      transcript = foldClaudeLine(transcript, line);
      if (transcript.turns > before) deps.onTurn?.(transcript.turns);
    });
    const result = await child;
    group.dispose();
    lines.close();
    const timedOut = group.timedOut;
    const claudeError = result.failed && result.exitCode === undefined && !timedOut && !deps.signal?.aborted ? result.shortMessage : undefined;
    const changed = await changedFiles(copy.dir);
    const answerFile = join(copy.scratch, "answer.txt");
    writeFileSync(answerFile, transcript.answer ?? "");
    const checker = deps.signal?.aborted
      ? { exitCode: undefined, output: "not run: interrupted", timedOut: false }
      : await runChecker(task, copy.dir, answerFile, limits.checkTimeoutS);
    const requests = await stopWatching();
    const metrics = summarizeTaskRequests(requests, deps.table);
    const wallMs = Math.round(now() - started);
    // A task that ran out of time failed, whatever its checker makes of the half-done copy.
    const passed = !deps.signal?.aborted && !timedOut && checker.exitCode === 0;
    const taskResult: TaskResult = {
      task: task.name,
      passed,
      wallMs,
      turns: transcript.turns,
      toolCalls: totalToolCalls(transcript),
      toolCallsByName: transcript.toolCalls,
      failedToolCalls: transcript.failedToolCalls,
      rejectedToolCalls: transcript.rejectedToolCalls,
      repairedToolCalls: metrics.repairedToolCalls,
      changedFiles: changed,
      timedOut,
      checker,
      metrics,
      toolsAndClientMs: Math.max(0, wallMs - metrics.modelMs),
    };
    if (task.about !== undefined) taskResult.about = task.about;
    if (result.exitCode !== undefined) taskResult.claudeExitCode = result.exitCode;
    if (transcript.resultSubtype !== undefined) taskResult.resultSubtype = transcript.resultSubtype;
    if (transcript.answer !== undefined) taskResult.answer = clip(transcript.answer, MAX_ANSWER);
    if (!passed) {
      const requestErrors = requests.flatMap((r) => (r.error === undefined ? [] : [r.error]));
      const claudeStderr = result.exitCode !== 0 && typeof result.stderr === "string" ? result.stderr.trim() : "";
      taskResult.why = deps.signal?.aborted
        ? "interrupted (Ctrl-C) before it finished"
        : explainFailure({
            transcript,
            changedFiles: changed,
            timedOut,
            ...(result.exitCode !== undefined ? { claudeExitCode: result.exitCode } : {}),
            ...(claudeError !== undefined
              ? { claudeError }
              : claudeStderr !== "" && transcript.resultSubtype === undefined
                ? { claudeError: errorGist(claudeStderr, 300) }
                : {}),
            checkerOutput: checker.output,
            ...(checker.exitCode !== undefined ? { checkerExitCode: checker.exitCode } : {}),
            checkerTimedOut: checker.timedOut,
            requestErrors,
          });
    }
    return taskResult;
  } finally {
    await stopWatching();
    copy.remove();
  }
}

/**
 * The task's checker, in the working copy: `MALLEX_EVAL_TASK` is the task's folder (where its check
 * scripts live, out of the model's reach) and `MALLEX_EVAL_ANSWER` a file with the model's final answer.
 *
 * It runs in a process group of its own, killed at its limit and once the shell exits
 * (limitProcessGroup): a background process it left can no longer hold its output open and stall
 * the eval past every limit.
 */
export async function runChecker(task: EvalTask, cwd: string, answerFile: string, timeoutS: number): Promise<TaskResult["checker"]> {
  const child = execa("sh", ["-c", task.check], {
    cwd,
    env: { MALLEX_EVAL_TASK: task.dir, MALLEX_EVAL_ANSWER: answerFile, ...NO_STALE_BYTECODE },
    stdin: "ignore",
    reject: false,
    all: true,
    detached: true,
  });
  const group = limitProcessGroup(child, { timeoutMs: timeoutS * 1000, graceMs: 2000 });
  const result = await child;
  group.dispose();
  const output = clip(typeof result.all === "string" ? result.all : "", MAX_OUTPUT);
  return { ...(result.exitCode !== undefined && !group.timedOut ? { exitCode: result.exitCode } : {}), output, timedOut: group.timedOut };
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);
