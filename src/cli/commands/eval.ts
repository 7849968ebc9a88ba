import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineCommand } from "citty";
import { runInOwnGroup } from "../../shared/run-in-own-group.js";
import type { RoutingTable } from "../../compile/routing-table.js";
import { MallexError } from "../../shared/mallex-error.js";
import { findPackageRoot, packageVersion } from "../../shared/package-root.js";
import type { EvalReport } from "../../eval/eval-report.js";
import type { EvalView } from "../../eval/eval-view.js";
import { maskEvalView } from "../../observe/dashboard/eval-view.js";
import { formatEvalReport } from "../../eval/format-eval-report.js";
import { loadSuite } from "../../eval/load-suite.js";
import { belowMinPassRate, parseMinPassRate } from "../../eval/min-pass-rate.js";
import { parseSwitchList, planEvalSetups } from "../../eval/plan-eval-setups.js";
import { addProxyMetrics, readProxyMetrics, type ProxyMetricsTotals } from "../../eval/read-proxy-metrics.js";
import { runEval, type EvalSetup, type OpenSetup, type VariantFields } from "../../eval/run-eval.js";
import { saveLastEval } from "../../observe/dashboard/save-last-eval.js";
import { saveEvalRun } from "../../observe/eval-history.js";
import { evalRunRecord, type EvalRunFacts } from "../../eval/eval-run-record.js";
import { evalServing } from "../../eval/eval-serving.js";
import { withLocalTiers, withTrimOff } from "../../eval/variant-tables.js";
import { claudeCommand } from "../../setup/claude-command.js";
import { proxyArgs } from "../args/common-args.js";
import { evalClaudeEnv } from "../claude-code/eval-claude-env.js";
import { parseCount } from "../args/parse-count.js";
import { repeatedOption } from "../args/repeated-option.js";
import { serve, type Serving } from "../serve.js";
import { wantsColour } from "../show-usage.js";
import { fetchClaudeCode } from "../claude-code/fetch-claude-code.js";
import { warmUp } from "../warm-up.js";
import { dashboardLink } from "../dashboard-link.js";

export default defineCommand({
  meta: {
    name: "eval",
    description: "Score Claude Code on this model: run a suite of small coding tasks through the real CLI and mallex, each checked by its own checker",
  },
  args: {
    ...proxyArgs,
    config: {
      ...proxyArgs.config,
      description:
        "Config file, used alone (default: this machine's settings, $MALLEX_HOME/mallex.yaml (~/.mallex) else mallex's default, with ./mallex.yaml's rules on top); given more than once: the suite runs once per config, compared (e.g. all local against local with Claude escalation)",
    },
    port: { ...proxyArgs.port, description: "Port to serve on (default: a free one)" },
    suite: { type: "string", description: "A folder with one folder per task (task.yaml, prompt.md, repo/); default: the shipped suite", valueHint: "dir" },
    task: { type: "string", description: "Run only this task (given more than once: these tasks)", valueHint: "name" },
    json: { type: "string", description: "Also write the report as JSON to this file (written as each task ends, and on Ctrl-C)", valueHint: "file" },
    "max-turns": { type: "string", description: "Claude Code's turn limit per task, unless the task sets one (default 20)", valueHint: "n" },
    timeout: { type: "string", description: "Seconds a task may take, unless the task sets its own (default 300)", valueHint: "s" },
    profile: {
      type: "string",
      description: "Pin Claude Code to this profile of the config instead of its routing; given more than once: the suite runs once per profile, compared",
      valueHint: "name",
    },
    trim: {
      type: "string",
      description: "on, off, or on,off to compare: off sends Claude Code's request untrimmed to the same model (each local profile as with trim: false)",
      valueHint: "on,off",
    },
    escalation: {
      type: "string",
      description: "on, off, or on,off to compare: off runs each tier that goes to Claude on its fallback's local profile (all local)",
      valueHint: "on,off",
    },
    repeat: { type: "string", description: "Run the suite this many times (per variant): the pass rate's spread over the runs", valueHint: "n" },
    "min-pass-rate": {
      type: "string",
      description: "Exit 1 when the pass rate (with variants: any variant's) is below this: 0.6 or 60% (for CI)",
      valueHint: "rate",
    },
  },
  async run({ args, rawArgs }) {
    const packageRoot = findPackageRoot();
    const suiteDir = resolve(args.suite ?? join(packageRoot, "eval", "suite"));
    const only = repeatedOption(rawArgs, "task");
    const tasks = loadSuite(suiteDir, only);
    const maxTurns = parseCount(args["max-turns"], "--max-turns", 1) ?? 20;
    const timeoutS = parseCount(args.timeout, "--timeout", 1) ?? 300;
    const repeat = parseCount(args.repeat, "--repeat", 1) ?? 1;
    const minPassRate = parseMinPassRate(args["min-pass-rate"]);
    const profiles = repeatedOption(rawArgs, "profile");
    const trim = parseSwitchList(repeatedOption(rawArgs, "trim"), "--trim");
    const escalation = parseSwitchList(repeatedOption(rawArgs, "escalation"), "--escalation");
    const configs = repeatedOption(rawArgs, "config");
    const plans = planEvalSetups({ configs, ...(trim ? { trim } : {}), ...(escalation ? { escalation } : {}) });
    const jsonOut = args.json === undefined ? undefined : resolve(args.json);
    // Before anything starts: a report that cannot be written must not cost a whole run.
    if (jsonOut !== undefined) writeJson(jsonOut, { pass_rate: 0, tasks: [], note: "mallex eval is running" });

    let quiet = false;
    const print = (line: string) => {
      if (!quiet) console.error(line);
    };
    const token = `mallex-${randomBytes(16).toString("hex")}`;
    let port = args.port ?? "0";
    let current: Serving | undefined;
    let view: EvalView | undefined;
    let proxyMetrics: ProxyMetricsTotals | undefined;
    const show = (next: EvalView) => {
      view = next;
      current?.proxy.dashboard.showEval(current.table.observability.dashboardPrompts === true ? next : maskEvalView(next));
    };
    /** One proxy for a setup; later setups take the first one's port, so an open dashboard reconnects to the run. */
    const open = async (fields: Omit<VariantFields, "profile">): Promise<OpenSetup> => {
      const adjust = (table: RoutingTable) => {
        const untrimmed = fields.trim === "off" ? withTrimOff(table) : table;
        return fields.escalation === "off" ? withLocalTiers(untrimmed) : untrimmed;
      };
      const serving = await serve(
        { ...args, ...(fields.config !== undefined ? { config: fields.config } : {}), backendUrls: repeatedOption(rawArgs, "backend-url"), port },
        { packageRoot, print, authToken: token, stopSignals: ["SIGTERM", "SIGHUP"], adjustTable: adjust },
      );
      current = serving;
      let closed: Promise<void> | undefined;
      const close = () =>
        (closed ??= (async () => {
          // Each proxy's /metrics covers its own variants: the report's cross-check is their sum.
          proxyMetrics = addProxyMetrics(proxyMetrics, await readProxyMetrics(serving.proxy.url, token));
          await serving.close();
          if (current === serving) current = undefined;
        })());
      try {
        if (!(await warmUp(serving, args["backend-url"] !== undefined, print)))
          throw new MallexError("E_EVAL_SERVER", `mallex eval: the model server did not start (see ${join(serving.mallexHome, "mallex.log")})`, {
            exitCode: 1,
          });
        const unknown = profiles.filter((name) => serving.table.profiles[name] === undefined);
        if (unknown.length > 0)
          throw new MallexError(
            "E_USAGE",
            `mallex eval: no profile ${unknown.join(", ")} in the config${fields.config !== undefined ? ` ${fields.config}` : ""} (it has ${Object.keys(serving.table.profiles).join(", ")})`,
            { exitCode: 2 },
          );
      } catch (error) {
        await close();
        throw error;
      }
      port = String(serving.proxy.port);
      if (view !== undefined) show(view);
      const proxy = { table: serving.table, liveTable: () => serving.proxy.table(), url: serving.proxy.url, token };
      return {
        table: serving.table,
        feed: serving.proxy.dashboard,
        envFor: (profile) => evalClaudeEnv(proxy, profile, process.env),
        servingOf: (profile) => evalServing(serving.table, serving.proxy.backends, profile),
        close,
      };
    };

    let lastReport: EvalReport | undefined;
    const interruption = new AbortController();
    const interrupt = () => {
      if (!interruption.signal.aborted) console.error("mallex eval: interrupted: stopping the task that runs; the report keeps the tasks that finished");
      interruption.abort();
    };
    process.on("SIGINT", interrupt);
    process.on("SIGTERM", interrupt);
    process.on("SIGHUP", interrupt);
    // The first proxy opens before the run: the start line names its backend and dashboard, and a config that cannot serve stops here.
    let first: OpenSetup | undefined;
    let mallexHome: string | undefined;
    try {
      first = await open(plans[0]!);
      const serving = current!;
      mallexHome = serving.mallexHome;
      const claude = claudeCommand(process.env, packageRoot);
      if (claude.npx) await fetchClaudeCode(claude, print);
      // In a group of its own (runInOwnGroup): a background process it leaves cannot hold the eval at its start.
      const version =
        /\d+\.\d+\.\d+\S*/.exec((await runInOwnGroup(claude.file, [...claude.prefix, "--version"], { timeoutMs: 60_000, maxOutputChars: 4096 })).output)?.[0] ??
        "unknown";
      const backend =
        args["backend-url"] ?? (args.embedded !== undefined ? `embedded ${args.embedded}` : (serving.defaultProfile?.name ?? "the config's default tier"));
      const variants = plans.length * Math.max(1, profiles.length);
      const times =
        variants > 1 || repeat > 1
          ? ` × ${variants > 1 ? `${variants} variants` : ""}${variants > 1 && repeat > 1 ? " × " : ""}${repeat > 1 ? `${repeat} runs` : ""}`
          : "";
      console.error(
        `mallex eval: ${tasks.length} task${tasks.length === 1 ? "" : "s"}${times} from ${suiteDir} through Claude Code ${version} → ${backend} (request lines: ${join(serving.mallexHome, "mallex.log")}; live in the dashboard: ${dashboardLink(serving.proxy.url, token)})`,
      );
      console.error(`mallex eval: ${serving.config}`);
      // From here on each request's line goes to mallex.log only: the progress lines are the terminal's.
      quiet = true;
      const opened = first;
      const setups: EvalSetup[] = plans.map((fields, i) => ({
        fields,
        profiles: profiles.length > 0 ? profiles : [undefined],
        open: i === 0 ? () => Promise.resolve(opened) : () => open(fields),
      }));
      const report = await runEval({
        tasks,
        limits: { maxTurns, timeoutS, checkTimeoutS: 60 },
        claude,
        setups,
        repeat,
        suite: suiteDir,
        backend,
        claudeCode: version,
        progress: (line) => console.error(line),
        signal: interruption.signal,
        onView: show,
        onReport: (partial: EvalReport) => {
          lastReport = partial;
          if (jsonOut !== undefined) writeJson(jsonOut, partial);
        },
      });
      quiet = false;
      if (proxyMetrics !== undefined) report.proxyMetrics = proxyMetrics;
      console.log(formatEvalReport(report, { colour: wantsColour(process.stdout, process.env) }));
      if (jsonOut !== undefined) {
        writeJson(jsonOut, report);
        console.error(`mallex eval: report written to ${jsonOut}`);
      }
      keepLastEval(mallexHome, { state: report.interrupted ? "interrupted" : "finished", report });
      keepEvalRun(mallexHome, report, { tasks: tasks.length, only, mallex: packageVersion(packageRoot) });
      if (report.interrupted) process.exitCode = 130;
      else if (minPassRate !== undefined) {
        const short = belowMinPassRate(report, minPassRate);
        if (short.length > 0) {
          console.error(`mallex eval: below --min-pass-rate ${args["min-pass-rate"]}: ${short.join("; ")}`);
          process.exitCode = 1;
        }
      }
    } catch (error) {
      quiet = false;
      // What finished stays in the report, with what stopped the rest.
      if (jsonOut !== undefined) writeJson(jsonOut, { ...(lastReport ?? { pass_rate: 0, tasks: [] }), error: (error as Error).message });
      if (mallexHome !== undefined && lastReport !== undefined)
        keepLastEval(mallexHome, { state: "failed", report: lastReport, error: (error as Error).message });
      throw error;
    } finally {
      process.off("SIGINT", interrupt);
      process.off("SIGTERM", interrupt);
      process.off("SIGHUP", interrupt);
      // runEval closes each proxy it opened; one left open by a failure before or between them closes here.
      await first?.close();
      await current?.close();
    }
  },
});

/** The run for any later mallex's dashboard; a failure to save costs only that. */
function keepLastEval(mallexHome: string, view: EvalView): void {
  try {
    saveLastEval(mallexHome, view);
  } catch (error) {
    console.error(`mallex eval: cannot save the report for the dashboard under ${mallexHome}: ${(error as Error).message}`);
  }
}

/** The run in the eval history (MALLEX_HOME/evals/), for the Models page and `mallex models`; a failure to save costs only that. */
function keepEvalRun(mallexHome: string, report: EvalReport, facts: EvalRunFacts): void {
  const run = evalRunRecord(report, facts);
  if (run === undefined) return;
  try {
    saveEvalRun(mallexHome, run);
  } catch (error) {
    console.error(`mallex eval: cannot add the run to the eval history under ${mallexHome}: ${(error as Error).message}`);
  }
}

function writeJson(file: string, value: unknown): void {
  try {
    writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  } catch (error) {
    throw new MallexError("E_OUTPUT_UNWRITABLE", `mallex eval: cannot write the report to ${file}: ${(error as Error).message}`, { exitCode: 2 });
  }
}
