import type { RoutingTable } from "../compile/routing-table.js";
import type { EvalServing, EvalVariantSettings } from "../observe/eval-history.js";
import type { DashboardFeed } from "../observe/dashboard/dashboard-feed.js";
import type { RequestSummary } from "../observe/dashboard/summarize-request.js";
import { buildEvalReport, type EvalReport, type TaskResult } from "./eval-report.js";
import type { EvalView } from "./eval-view.js";
import type { EvalTask } from "./load-suite.js";
import { runEvalTask, type EvalTaskDeps, type EvalTaskLimits } from "./run-eval-task.js";

/** What a variant changes (see planEvalSetups): the fields a task's result and its group carry. */
export interface VariantFields {
  profile?: string;
  config?: string;
  trim?: "on" | "off";
  escalation?: "on" | "off";
}

/** A proxy serving the suite for one setup, open: its table, its request feed, Claude Code's environment per profile. */
export interface OpenSetup {
  table: RoutingTable;
  /** The proxy's request feed: each task's requests are the ones that end while it runs (tasks run one at a time). */
  feed: DashboardFeed;
  envFor(profile: string | undefined): EvalTaskDeps["env"];
  /** What serves a profile's variant (undefined: the routing's), for the report (eval-serving.ts). */
  servingOf(profile: string | undefined): EvalServing;
  close(): Promise<void>;
}

/**
 * One proxy's worth of variants: a config (with trimming and escalation as asked), opened once and
 * run for each profile (a profile changes only Claude Code's model name, so it needs no new proxy).
 */
export interface EvalSetup {
  fields: Omit<VariantFields, "profile">;
  /** `[undefined]`: the config's routing. */
  profiles: ReadonlyArray<string | undefined>;
  open(): Promise<OpenSetup>;
}

export interface RunEvalOptions {
  tasks: readonly EvalTask[];
  /** Each is opened in turn and run over the whole suite per profile, `repeat` times, one after another. */
  setups: readonly EvalSetup[];
  repeat: number;
  limits: EvalTaskLimits;
  claude: EvalTaskDeps["claude"];
  suite: string;
  backend: string;
  claudeCode: string;
  /** Progress lines: task n of N, each turn, each verdict. */
  progress(line: string): void;
  /** Ctrl-C: the task running is stopped and the report keeps what finished. */
  signal: AbortSignal;
  /** The report so far, after each task (so a run killed outright still leaves what finished). */
  onReport?(report: EvalReport): void;
  /** The run's state for the dashboard: at each task's start, each turn and each task's end. */
  onView?(view: EvalView): void;
  date?: () => Date;
}

/** Pure: a variant in words, from the fields that vary between the run's variants ("routing" when none does). */
export function variantLabel(fields: VariantFields, varied: ReadonlySet<keyof VariantFields>): string {
  const parts: string[] = [];
  if (varied.has("config") && fields.config !== undefined) parts.push(fields.config);
  if (varied.has("profile")) parts.push(fields.profile ?? "routing");
  if (varied.has("trim") && fields.trim !== undefined) parts.push(`trim ${fields.trim}`);
  if (varied.has("escalation") && fields.escalation !== undefined) parts.push(`escalation ${fields.escalation}`);
  return parts.join(" · ") || "routing";
}

/** Runs the tasks one after another (their requests must not mix), and reports what ran. */
export async function runEval(options: RunEvalOptions): Promise<EvalReport> {
  const started = performance.now();
  const startedAt = (options.date ?? (() => new Date()))().toISOString();
  const results: TaskResult[] = [];
  const reached: EvalVariantSettings[] = [];
  const variants = options.setups.flatMap((setup) => setup.profiles.map((profile) => ({ ...setup.fields, ...(profile !== undefined ? { profile } : {}) })));
  const varied = variedFields(
    variants,
    options.setups.some((setup) => setup.profiles.some((p) => p !== undefined)),
  );
  const n = variants.length * options.repeat * options.tasks.length;
  const report = () =>
    buildEvalReport({
      tasks: results,
      planned: n,
      interrupted: options.signal.aborted,
      suite: options.suite,
      backend: options.backend,
      claudeCode: options.claudeCode,
      startedAt,
      wallMs: Math.round(performance.now() - started),
      variants: reached,
    });
  let index = 0;
  for (const setup of options.setups) {
    if (options.signal.aborted) break;
    const open = await setup.open();
    try {
      for (const profile of setup.profiles) {
        const fields: VariantFields = { ...setup.fields, ...(profile !== undefined ? { profile } : {}) };
        const variant = varied.size > 0 ? variantLabel(fields, varied) : undefined;
        const env = open.envFor(profile);
        if (!options.signal.aborted) reached.push({ variant: variant ?? "routing", ...fields, ...open.servingOf(profile) });
        for (let run = 1; run <= options.repeat; run++) {
          for (const task of options.tasks) {
            if (options.signal.aborted) break;
            index++;
            const label = `[${index}/${n}] ${task.name}${variant !== undefined ? ` (${variant})` : ""}${options.repeat > 1 ? ` #${run}` : ""}`;
            const current = { index, of: n, task: task.name, ...(variant !== undefined ? { variant } : {}), ...(options.repeat > 1 ? { run } : {}), turn: 0 };
            options.progress(`${label}: running${task.about ? ` — ${task.about}` : ""}`);
            options.onView?.({ state: "running", current, report: report() });
            const result = await runEvalTask(task, options.limits, {
              claude: options.claude,
              env,
              table: open.table,
              watchRequests: () => watchRequests(open.feed),
              onTurn: (turn) => {
                options.progress(`${label}: turn ${turn}`);
                options.onView?.({ state: "running", current: { ...current, turn }, report: report() });
              },
              signal: options.signal,
            });
            // A task cut short by Ctrl-C is not a verdict on the model: the report keeps only finished ones.
            if (options.signal.aborted) break;
            if (variant !== undefined) result.variant = variant;
            Object.assign(result, fields);
            if (options.repeat > 1) result.run = run;
            results.push(result);
            options.progress(
              `${label}: ${result.passed ? "passed" : `FAILED — ${result.why ?? "?"}`} (${(result.wallMs / 1000).toFixed(1)} s, ${result.turns} turn${result.turns === 1 ? "" : "s"})`,
            );
            options.onReport?.(report());
          }
        }
      }
    } finally {
      await open.close();
    }
  }
  return report();
}

/** Which fields differ between the variants (a profile given once still names the variant: the user chose it). */
function variedFields(variants: readonly VariantFields[], profilesGiven: boolean): Set<keyof VariantFields> {
  const varied = new Set<keyof VariantFields>();
  for (const key of ["config", "trim", "escalation"] as const) if (new Set(variants.map((v) => v[key])).size > 1) varied.add(key);
  if (profilesGiven) varied.add("profile");
  return varied;
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
