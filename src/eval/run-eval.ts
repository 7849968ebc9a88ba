import type { RoutingTable } from "../compile/routing-table.js";
import type { DashboardFeed } from "../server/dashboard/dashboard-feed.js";
import type { RequestSummary } from "../server/dashboard/summarize-request.js";
import { buildEvalReport, type EvalReport, type TaskResult } from "./eval-report.js";
import type { EvalTask } from "./load-suite.js";
import { runEvalTask, type EvalTaskDeps, type EvalTaskLimits } from "./run-eval-task.js";

/** One way to run the suite: the config's routing, or Claude Code pinned to one profile. */
export interface EvalVariant {
  profile?: string;
  env: EvalTaskDeps["env"];
}

export interface RunEvalOptions {
  tasks: readonly EvalTask[];
  /** Each is run over the whole suite, `repeat` times, one after another. */
  variants: readonly EvalVariant[];
  repeat: number;
  limits: EvalTaskLimits;
  claude: EvalTaskDeps["claude"];
  table: RoutingTable;
  /** The proxy's request feed: each task's requests are the ones that end while it runs (tasks run one at a time). */
  feed: DashboardFeed;
  suite: string;
  backend: string;
  claudeCode: string;
  /** Progress lines: task n of N, each turn, each verdict. */
  progress(line: string): void;
  /** Ctrl-C: the task running is stopped and the report keeps what finished. */
  signal: AbortSignal;
  /** The report so far, after each task (so a run killed outright still leaves what finished). */
  onReport?(report: EvalReport): void;
  date?: () => Date;
}

/** Runs the tasks one after another (their requests must not mix), and reports what ran. */
export async function runEval(options: RunEvalOptions): Promise<EvalReport> {
  const started = performance.now();
  const startedAt = (options.date ?? (() => new Date()))().toISOString();
  const results: TaskResult[] = [];
  const report = () =>
    buildEvalReport({
      tasks: results,
      planned: options.variants.length * options.repeat * options.tasks.length,
      interrupted: options.signal.aborted,
      suite: options.suite,
      backend: options.backend,
      claudeCode: options.claudeCode,
      startedAt,
      wallMs: Math.round(performance.now() - started),
    });
  const runs = options.variants.flatMap((variant) => Array.from({ length: options.repeat }, (_, i) => ({ variant, run: i + 1 })));
  const n = runs.length * options.tasks.length;
  let index = 0;
  for (const { variant, run } of runs) {
    for (const task of options.tasks) {
      if (options.signal.aborted) break;
      index++;
      const label = `[${index}/${n}] ${task.name}${variant.profile !== undefined ? ` (${variant.profile})` : ""}${options.repeat > 1 ? ` #${run}` : ""}`;
      options.progress(`${label}: running${task.about ? ` — ${task.about}` : ""}`);
      const result = await runEvalTask(task, options.limits, {
        claude: options.claude,
        env: variant.env,
        table: options.table,
        watchRequests: () => watchRequests(options.feed),
        onTurn: (turn) => options.progress(`${label}: turn ${turn}`),
        signal: options.signal,
      });
      // A task cut short by Ctrl-C is not a verdict on the model: the report keeps only finished ones.
      if (options.signal.aborted) break;
      if (variant.profile !== undefined) result.profile = variant.profile;
      if (options.repeat > 1) result.run = run;
      results.push(result);
      options.progress(`${label}: ${result.passed ? "passed" : `FAILED — ${result.why ?? "?"}`} (${(result.wallMs / 1000).toFixed(1)} s, ${result.turns} turn${result.turns === 1 ? "" : "s"})`);
      options.onReport?.(report());
    }
  }
  return report();
}

/**
 * Collects the summaries of requests that end from now on. The feed summarizes a request on the
 * event loop's next turn after it ended, so stopping waits that turn out first. Idempotent.
 */
function watchRequests(feed: DashboardFeed): () => Promise<RequestSummary[]> {
  const seen: RequestSummary[] = [];
  const before = new Set(feed.snapshot().requests.map((r) => r.id));
  const unsubscribe = feed.subscribe((message) => {
    if (message.type === "request") seen.push(message.request);
  });
  let done: Promise<RequestSummary[]> | undefined;
  return () => {
    done ??= new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve))).then(() => {
      if (unsubscribe !== undefined) {
        unsubscribe();
        return seen;
      }
      // Every dashboard slot is taken (a browser tab per slot): the feed's ring has them too.
      return feed.snapshot().requests.filter((r) => !before.has(r.id));
    });
    return done;
  };
}
