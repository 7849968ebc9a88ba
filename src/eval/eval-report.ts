import type { EvalVariantSettings } from "../observe/eval-history.js";
import { errorGist } from "./error-gist.js";
import type { ClaudeTranscript } from "./read-claude-stream.js";
import type { ProxyMetricsTotals } from "./read-proxy-metrics.js";
import type { TaskRequestMetrics } from "./summarize-task-requests.js";

/** One task's outcome: passed is the checker's verdict, never the model's claim. */
export interface TaskResult {
  task: string;
  passed: boolean;
  /** The variant it ran in (see EvalVariantSpec), in words: "qwen3-coder-30b · trim off"; absent: the only one. */
  variant?: string;
  /** The profile Claude Code was pinned to (`--profile`); absent: the config's routing decided. */
  profile?: string;
  /** The config file of the run (`--config` given more than once). */
  config?: string;
  /** Trimming (`--trim`): off sends Claude Code's request untrimmed to the same model (profile `trim: false`). */
  trim?: "on" | "off";
  /** Claude escalation (`--escalation`): off runs each tier that goes to Claude on its fallback's local profile. */
  escalation?: "on" | "off";
  /** Which of the `--repeat` runs (1-based); absent when the suite ran once. */
  run?: number;
  /** Why it failed, in words (absent when it passed). */
  why?: string;
  about?: string;
  wallMs: number;
  /** Claude Code's account: model turns (its assistant messages), tool calls made and failed. */
  turns: number;
  toolCalls: number;
  toolCallsByName: Record<string, number>;
  failedToolCalls: number;
  /** Calls the model wrote that mallex could not turn into a tool_use (shown to it as a note instead). */
  rejectedToolCalls: number;
  /** Calls mallex repaired so they could run (JSON fixed, tool name mapped, arguments converted): its own count. */
  repairedToolCalls: number;
  /** Files the run changed, added or removed in the working copy (git status). */
  changedFiles: string[];
  /** Claude Code's exit code and result subtype (error_max_turns, …); timedOut: the task's time limit ended it. */
  claudeExitCode?: number;
  resultSubtype?: string;
  timedOut: boolean;
  checker: { exitCode?: number; output: string; timedOut: boolean };
  /** The model's final answer, clipped. */
  answer?: string;
  /** mallex's own numbers for the task's requests. */
  metrics: TaskRequestMetrics;
  /** Wall time outside model requests: Claude Code itself and the tools it ran. */
  toolsAndClientMs: number;
}

/** The sums over a set of tasks: the whole run's, or one variant's. */
export type EvalTotals = TaskRequestMetrics & {
  wallMs: number;
  toolsAndClientMs: number;
  turns: number;
  toolCalls: number;
  failedToolCalls: number;
  rejectedToolCalls: number;
  repairedToolCalls: number;
};

export interface EvalReport {
  /** Passed tasks over tasks run (0 when none ran). */
  pass_rate: number;
  passed: number;
  total: number;
  /** Tasks the suite has; more than total when the run was interrupted. */
  planned: number;
  interrupted: boolean;
  suite: string;
  backend: string;
  claudeCode: string;
  startedAt: string;
  wallMs: number;
  tasks: TaskResult[];
  /** Over every task (wallMs: the tasks' own, not the run's, which includes starting proxies). */
  totals: EvalTotals;
  /** Per variant when compared or repeated: pass rate, its spread over the runs, and the variant's totals. */
  groups?: EvalGroup[];
  /** Each variant the run reached, with what served it: the profile, its model, its backend and server (absent: none reached). */
  variants?: EvalVariantSettings[];
  /** The proxy's GET /metrics at the end (absent: it could not be read), to check the totals against. */
  proxyMetrics?: ProxyMetricsTotals;
}

export interface EvalGroup {
  /** The variant in words ("routing" when nothing was varied but the runs). */
  variant: string;
  profile?: string;
  config?: string;
  trim?: "on" | "off";
  escalation?: "on" | "off";
  pass_rate: number;
  passed: number;
  total: number;
  /** Each run's pass rate, in order; min and max are the spread. */
  runs: number[];
  min: number;
  max: number;
  totals: EvalTotals;
}

/** Pure: the sums over these tasks; meanTtftMs is weighted by each task's requests. */
export function sumTasks(tasks: readonly TaskResult[]): EvalTotals {
  const sum = (pick: (t: TaskResult) => number) => tasks.reduce((total, t) => total + pick(t), 0);
  const ttfts = tasks.flatMap((t) => (t.metrics.meanTtftMs === undefined ? [] : [[t.metrics.meanTtftMs, t.metrics.requests] as const]));
  const weighted = ttfts.reduce((total, [ms, n]) => total + ms * n, 0);
  const counted = ttfts.reduce((total, [, n]) => total + n, 0);
  const totals: EvalTotals = {
    requests: sum((t) => t.metrics.requests),
    escalations: sum((t) => t.metrics.escalations),
    failedRequests: sum((t) => t.metrics.failedRequests),
    promptTokens: sum((t) => t.metrics.promptTokens),
    cachedTokens: sum((t) => t.metrics.cachedTokens),
    outputTokens: sum((t) => t.metrics.outputTokens),
    prefillMs: sum((t) => t.metrics.prefillMs),
    decodeMs: sum((t) => t.metrics.decodeMs),
    waitMs: sum((t) => t.metrics.waitMs),
    modelMs: sum((t) => t.metrics.modelMs),
    forcedCallRetries: sum((t) => t.metrics.forcedCallRetries),
    unknownCallRetries: sum((t) => t.metrics.unknownCallRetries),
    wallMs: sum((t) => t.wallMs),
    toolsAndClientMs: sum((t) => t.toolsAndClientMs),
    turns: sum((t) => t.turns),
    toolCalls: sum((t) => t.toolCalls),
    failedToolCalls: sum((t) => t.failedToolCalls),
    rejectedToolCalls: sum((t) => t.rejectedToolCalls),
    repairedToolCalls: sum((t) => t.repairedToolCalls),
  };
  if (counted > 0) totals.meanTtftMs = Math.round(weighted / counted);
  return totals;
}

/** Pure: pass rates and totals per variant and run (tasks of a run interrupted half-way count as they finished). */
export function groupResults(tasks: readonly TaskResult[]): EvalGroup[] {
  const byVariant = new Map<string, TaskResult[]>();
  for (const t of tasks) byVariant.set(t.variant ?? "routing", [...(byVariant.get(t.variant ?? "routing") ?? []), t]);
  return [...byVariant].map(([variant, results]) => {
    const byRun = new Map<number, TaskResult[]>();
    for (const t of results) byRun.set(t.run ?? 1, [...(byRun.get(t.run ?? 1) ?? []), t]);
    const runs = [...byRun.values()].map((run) => run.filter((t) => t.passed).length / run.length);
    const passed = results.filter((t) => t.passed).length;
    const first = results[0]!;
    return {
      variant,
      ...(first.profile !== undefined ? { profile: first.profile } : {}),
      ...(first.config !== undefined ? { config: first.config } : {}),
      ...(first.trim !== undefined ? { trim: first.trim } : {}),
      ...(first.escalation !== undefined ? { escalation: first.escalation } : {}),
      pass_rate: passed / results.length,
      passed,
      total: results.length,
      runs,
      min: Math.min(...runs),
      max: Math.max(...runs),
      totals: sumTasks(results),
    };
  });
}

/** Pure: the overall report from the tasks that ran. */
export function buildEvalReport(input: {
  tasks: TaskResult[];
  planned: number;
  interrupted: boolean;
  suite: string;
  backend: string;
  claudeCode: string;
  startedAt: string;
  wallMs: number;
  variants?: readonly EvalVariantSettings[];
}): EvalReport {
  const { tasks } = input;
  const passed = tasks.filter((t) => t.passed).length;
  const grouped = tasks.some((t) => t.variant !== undefined || t.run !== undefined);
  return {
    pass_rate: tasks.length === 0 ? 0 : passed / tasks.length,
    passed,
    total: tasks.length,
    planned: input.planned,
    interrupted: input.interrupted,
    suite: input.suite,
    backend: input.backend,
    claudeCode: input.claudeCode,
    startedAt: input.startedAt,
    wallMs: input.wallMs,
    tasks,
    totals: sumTasks(tasks),
    ...(grouped ? { groups: groupResults(tasks) } : {}),
    ...(input.variants !== undefined && input.variants.length > 0 ? { variants: [...input.variants] } : {}),
  };
}

/**
 * Pure: why a task failed, in the order a reader needs it — the run's own failure first (time
 * limit, turn limit, no edits, rejected calls), then what the checker said.
 */
export function explainFailure(input: {
  transcript: ClaudeTranscript;
  changedFiles: readonly string[];
  timedOut: boolean;
  claudeExitCode?: number;
  claudeError?: string;
  checkerOutput: string;
  checkerExitCode?: number;
  checkerTimedOut: boolean;
  requestErrors: readonly string[];
}): string {
  const parts: string[] = [];
  const t = input.transcript;
  if (input.claudeError !== undefined) parts.push(`Claude Code did not run: ${input.claudeError}`);
  if (input.timedOut) parts.push("stopped at the task's time limit");
  if (t.resultSubtype === "error_max_turns") parts.push("stopped at the turn limit");
  const calls = Object.values(t.toolCalls).reduce((a, b) => a + b, 0);
  if (calls === 0) parts.push("the model made no tool calls");
  if (input.changedFiles.length === 0) parts.push("no edits made");
  if (t.rejectedToolCalls > 0) parts.push(`${t.rejectedToolCalls} tool call${t.rejectedToolCalls === 1 ? "" : "s"} mallex could not use`);
  if (t.failedToolCalls > 0) parts.push(`${t.failedToolCalls} tool call${t.failedToolCalls === 1 ? "" : "s"} failed (last: ${t.toolErrors.at(-1) ?? "?"})`);
  if (input.requestErrors.length > 0) parts.push(`mallex: ${input.requestErrors.at(-1)}`);
  if (input.claudeError === undefined && input.claudeExitCode !== undefined && input.claudeExitCode !== 0 && !input.timedOut)
    parts.push(`Claude Code exited with ${input.claudeExitCode}`);
  const checker = input.checkerTimedOut
    ? "the checker timed out"
    : `checker (exit ${input.checkerExitCode ?? "?"}): ${errorGist(input.checkerOutput, 300) || "(no output)"}`;
  parts.push(checker);
  return parts.join("; ");
}
