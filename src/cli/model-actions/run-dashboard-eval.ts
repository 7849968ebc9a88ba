import { buildEvalReport, type EvalReport } from "../../eval/eval-report.js";
import { evalRunRecord } from "../../eval/eval-run-record.js";
import { evalServing } from "../../eval/eval-serving.js";
import type { EvalView } from "../../eval/eval-view.js";
import type { EvalTask } from "../../eval/load-suite.js";
import { runEval } from "../../eval/run-eval.js";
import { maskEvalView } from "../../observe/dashboard/eval-view.js";
import { saveLastEval } from "../../observe/dashboard/save-last-eval.js";
import { saveEvalRun } from "../../observe/eval-history.js";
import type { RunningProxy } from "../../server/start-proxy.js";
import { claudeCommand } from "../../setup/claude-command.js";
import { packageVersion } from "../../shared/package-root.js";
import { runInOwnGroup } from "../../shared/run-in-own-group.js";
import { evalClaudeEnv } from "../claude-code/eval-claude-env.js";
import { fetchClaudeCode } from "../claude-code/fetch-claude-code.js";

export interface DashboardEvalOptions {
  /** The proxy the page belongs to: the eval's Claude Code talks to it, its Eval tab shows the run. */
  proxy: RunningProxy;
  profile: string;
  tasks: readonly EvalTask[];
  /** The suite's folder, and the task names asked for (none: all). */
  suite: string;
  only: readonly string[];
  packageRoot: string;
  mallexHome: string;
  env: Readonly<Record<string, string | undefined>>;
  /** The proxy stops: the task under way stops, and the report keeps what finished. */
  signal: AbortSignal;
  log(line: string): void;
}

/**
 * `mallex eval --profile <profile>` run by the proxy itself, for its Models page: Claude Code on each
 * task of the suite, pinned to the profile, through this proxy (the model server it already runs —
 * no second proxy, no second copy of the model in memory). Its progress is the Eval tab's (the feed's
 * `eval` message, as `mallex eval` shows its own), and the finished run goes where `mallex eval` puts
 * its own: the last eval and the eval history (MALLEX_HOME/evals/), where the Models page reads the
 * model's score. Never throws: a run that fails is shown and saved as failed, with why.
 */
export async function runDashboardEval(options: DashboardEvalOptions): Promise<void> {
  const { proxy, profile, tasks, mallexHome } = options;
  const startedAt = new Date().toISOString();
  const table = proxy.table();
  const show = (view: EvalView) => proxy.dashboard.showEval(table.observability.dashboardPrompts === true ? view : maskEvalView(view));
  let last: EvalReport | undefined;
  try {
    const claude = claudeCommand(options.env, options.packageRoot);
    if (claude.npx) await fetchClaudeCode(claude, options.log);
    const version =
      /\d+\.\d+\.\d+\S*/.exec((await runInOwnGroup(claude.file, [...claude.prefix, "--version"], { timeoutMs: 60_000, maxOutputChars: 4096 })).output)?.[0] ??
      "unknown";
    const evalProxy = { table, liveTable: () => proxy.table(), url: proxy.url, token: proxy.authToken ?? "mallex" };
    options.log(
      `dashboard: eval of profile ${profile}: ${tasks.length} task${tasks.length === 1 ? "" : "s"} from ${options.suite} through Claude Code ${version}`,
    );
    const report = await runEval({
      tasks,
      limits: { maxTurns: 20, timeoutS: 300, checkTimeoutS: 60 },
      claude,
      setups: [
        {
          fields: {},
          profiles: [profile],
          open: () =>
            Promise.resolve({
              table,
              feed: proxy.dashboard,
              envFor: (pinned) => evalClaudeEnv(evalProxy, pinned, options.env),
              servingOf: (pinned) => evalServing(table, proxy.backends, pinned),
              // The proxy is the page's: it goes on serving once the run is over.
              close: () => Promise.resolve(),
            }),
        },
      ],
      repeat: 1,
      suite: options.suite,
      backend: profile,
      claudeCode: version,
      progress: (line) => options.log(`dashboard: eval ${line}`),
      signal: options.signal,
      onView: show,
      onReport: (partial) => (last = partial),
    });
    const view: EvalView = { state: report.interrupted ? "interrupted" : "finished", report };
    show(view);
    keep(options, () => saveLastEval(mallexHome, view), "the report for the dashboard");
    const run = evalRunRecord(report, { tasks: tasks.length, only: options.only, mallex: packageVersion(options.packageRoot) });
    if (run !== undefined) keep(options, () => saveEvalRun(mallexHome, run), "the run in the eval history");
    options.log(`dashboard: eval of profile ${profile}: ${report.passed}/${report.total} passed`);
  } catch (error) {
    const message = (error as Error).message;
    const report =
      last ??
      buildEvalReport({
        tasks: [],
        planned: tasks.length,
        interrupted: false,
        suite: options.suite,
        backend: profile,
        claudeCode: "unknown",
        startedAt,
        wallMs: 0,
      });
    const view: EvalView = { state: "failed", report, error: message };
    show(view);
    if (last !== undefined) keep(options, () => saveLastEval(mallexHome, view), "the report for the dashboard");
    options.log(`dashboard: eval of profile ${profile} failed: ${message}`);
  }
}

/** A save that fails costs only itself: said in the log. */
function keep(options: DashboardEvalOptions, save: () => void, what: string): void {
  try {
    save();
  } catch (error) {
    options.log(`dashboard: cannot save ${what} under ${options.mallexHome}: ${(error as Error).message}`);
  }
}
