import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineCommand } from "citty";
import { execa } from "execa";
import type { RoutingTable } from "../../compile/routing-table.js";
import { MallexError } from "../../mallex-error.js";
import { findPackageRoot } from "../../package-root.js";
import type { EvalReport } from "../../eval/eval-report.js";
import { formatEvalReport } from "../../eval/format-eval-report.js";
import { loadSuite } from "../../eval/load-suite.js";
import { readProxyMetrics } from "../../eval/read-proxy-metrics.js";
import { runEval } from "../../eval/run-eval.js";
import { claudeCommand } from "../claude-command.js";
import { claudeContextEnv } from "../claude-context-env.js";
import { claudeToolSearchEnv } from "../claude-tool-search-env.js";
import { proxyArgs } from "../common-args.js";
import { parseCount } from "../parse-count.js";
import { repeatedOption } from "../repeated-option.js";
import { serve } from "../serve.js";
import { wantsColour } from "../show-usage.js";
import { fetchClaudeCode } from "../fetch-claude-code.js";
import { warmUp } from "../warm-up.js";

export default defineCommand({
  meta: { name: "eval", description: "Score Claude Code on this model: run a suite of small coding tasks through the real CLI and mallex, each checked by its own checker" },
  args: {
    ...proxyArgs,
    port: { ...proxyArgs.port, description: "Port to serve on (default: a free one)" },
    suite: { type: "string", description: "A folder with one folder per task (task.yaml, prompt.md, repo/); default: the shipped suite", valueHint: "dir" },
    task: { type: "string", description: "Run only this task (given more than once: these tasks)", valueHint: "name" },
    json: { type: "string", description: "Also write the report as JSON to this file (written as each task ends, and on Ctrl-C)", valueHint: "file" },
    "max-turns": { type: "string", description: "Claude Code's turn limit per task, unless the task sets one (default 20)", valueHint: "n" },
    timeout: { type: "string", description: "Seconds a task may take, unless the task sets its own (default 300)", valueHint: "s" },
    profile: { type: "string", description: "Pin Claude Code to this profile of the config instead of its routing; given more than once: the suite runs once per profile, compared", valueHint: "name" },
    repeat: { type: "string", description: "Run the suite this many times (per profile): the pass rate's spread over the runs", valueHint: "n" },
  },
  async run({ args, rawArgs }) {
    const packageRoot = findPackageRoot();
    const suiteDir = resolve(args.suite ?? join(packageRoot, "eval", "suite"));
    const tasks = loadSuite(suiteDir, repeatedOption(rawArgs, "task"));
    const maxTurns = parseCount(args["max-turns"], "--max-turns", 1) ?? 20;
    const timeoutS = parseCount(args.timeout, "--timeout", 1) ?? 300;
    const repeat = parseCount(args.repeat, "--repeat", 1) ?? 1;
    const profiles = repeatedOption(rawArgs, "profile");
    const jsonOut = args.json === undefined ? undefined : resolve(args.json);
    // Before anything starts: a report that cannot be written must not cost a whole run.
    if (jsonOut !== undefined) writeJson(jsonOut, { pass_rate: 0, tasks: [], note: "mallex eval is running" });

    let quiet = false;
    const print = (line: string) => {
      if (!quiet) console.error(line);
    };
    const token = `mallex-${randomBytes(16).toString("hex")}`;
    const serving = await serve({ ...args, backendUrls: repeatedOption(rawArgs, "backend-url"), port: args.port ?? "0" }, { packageRoot, print, authToken: token, stopSignals: ["SIGTERM", "SIGHUP"] });
    let lastReport: EvalReport | undefined;
    const interruption = new AbortController();
    const interrupt = () => {
      if (!interruption.signal.aborted) console.error("mallex eval: interrupted: stopping the task that runs; the report keeps the tasks that finished");
      interruption.abort();
    };
    process.on("SIGINT", interrupt);
    process.on("SIGTERM", interrupt);
    process.on("SIGHUP", interrupt);
    try {
      if (!(await warmUp(serving, args["backend-url"] !== undefined, print))) {
        // The supervisor said why on the terminal; the report must not stay "running".
        if (jsonOut !== undefined) writeJson(jsonOut, { pass_rate: 0, tasks: [], error: "the model server did not start (see mallex.log)" });
        process.exitCode = 1;
        return;
      }
      const claude = claudeCommand(process.env, packageRoot);
      if (claude.npx) await fetchClaudeCode(claude, print);
      const version = (await execa(claude.file, [...claude.prefix, "--version"], { reject: false, stdin: "ignore", timeout: 60_000 })).stdout.trim().split(/\s/)[0] || "unknown";
      const unknown = profiles.filter((name) => serving.table.profiles[name] === undefined);
      if (unknown.length > 0) throw new MallexError("E_USAGE", `mallex eval: no profile ${unknown.join(", ")} in the config (it has ${Object.keys(serving.table.profiles).join(", ")})`, { exitCode: 2 });
      const toolSearch = claudeToolSearchEnv(serving.table, process.env);
      const envFor = (profile: string | undefined): Record<string, string | undefined> => ({
        ...process.env,
        ...claudeContextEnv(pinned(serving.proxy.table(), profile), process.env, []).env,
        // A profile's own name as the model pins the request to it (no tiers, no intents).
        ...(profile !== undefined ? { ANTHROPIC_MODEL: profile } : {}),
        ...toolSearch.env,
        ANTHROPIC_BASE_URL: serving.proxy.url,
        ANTHROPIC_AUTH_TOKEN: token,
        ANTHROPIC_API_KEY: undefined,
        CLAUDE_CODE_ATTRIBUTION_HEADER: "0",
        // Only the task's own requests: no title or update traffic in its numbers.
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        DISABLE_AUTOUPDATER: "1",
      });
      const backend = args["backend-url"] ?? (args.embedded !== undefined ? `embedded ${args.embedded}` : (serving.defaultProfile?.name ?? "the config's default tier"));
      const times = profiles.length > 1 || repeat > 1 ? ` × ${profiles.length > 1 ? `${profiles.length} profiles` : ""}${profiles.length > 1 && repeat > 1 ? " × " : ""}${repeat > 1 ? `${repeat} runs` : ""}` : "";
      console.error(`mallex eval: ${tasks.length} task${tasks.length === 1 ? "" : "s"}${times} from ${suiteDir} through Claude Code ${version} → ${backend} (request lines: ${join(serving.mallexHome, "mallex.log")}; live in the dashboard: ${serving.proxy.url}/ui)`);
      // From here on each request's line goes to mallex.log only: the progress lines are the terminal's.
      quiet = true;
      const report = await runEval({
        tasks,
        limits: { maxTurns, timeoutS, checkTimeoutS: 60 },
        claude,
        variants: profiles.length > 0 ? profiles.map((profile) => ({ profile, env: envFor(profile) })) : [{ env: envFor(undefined) }],
        repeat,
        table: serving.table,
        feed: serving.proxy.dashboard,
        suite: suiteDir,
        backend,
        claudeCode: version,
        progress: (line) => console.error(line),
        signal: interruption.signal,
        ...(jsonOut !== undefined
          ? {
              onReport: (partial: EvalReport) => {
                lastReport = partial;
                writeJson(jsonOut, partial);
              },
            }
          : {}),
      });
      quiet = false;
      const proxyMetrics = await readProxyMetrics(serving.proxy.url, token);
      if (proxyMetrics !== undefined) report.proxyMetrics = proxyMetrics;
      console.log(formatEvalReport(report, { colour: wantsColour(process.stdout, process.env) }));
      if (jsonOut !== undefined) {
        writeJson(jsonOut, report);
        console.error(`mallex eval: report written to ${jsonOut}`);
      }
      if (report.interrupted) process.exitCode = 130;
    } catch (error) {
      // What finished stays in the report, with what stopped the rest.
      if (jsonOut !== undefined) writeJson(jsonOut, { ...(lastReport ?? { pass_rate: 0, tasks: [] }), error: (error as Error).message });
      throw error;
    } finally {
      process.off("SIGINT", interrupt);
      process.off("SIGTERM", interrupt);
      process.off("SIGHUP", interrupt);
      await serving.close();
    }
  },
});

function writeJson(file: string, value: unknown): void {
  try {
    writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  } catch (error) {
    throw new MallexError("E_OUTPUT_UNWRITABLE", `mallex eval: cannot write the report to ${file}: ${(error as Error).message}`, { exitCode: 2 });
  }
}

/** The table with `profile` as the default tier's: the context Claude Code is told is that profile's. */
function pinned(table: RoutingTable, profile: string | undefined): RoutingTable {
  const tier = table.tiers[table.routing.defaultTier];
  if (profile === undefined || tier === undefined) return table;
  return { ...table, tiers: { ...table.tiers, [table.routing.defaultTier]: { ...tier, profile } } };
}
