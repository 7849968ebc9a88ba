import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { defineCommand } from "citty";
import { execa } from "execa";
import { MallexError } from "../../shared/mallex-error.js";
import { findPackageRoot } from "../../shared/package-root.js";
import { armDeathWatch } from "../../supervisor/processes/arm-death-watch.js";
import { stopAllOnExit } from "../../supervisor/processes/stop-all-on-exit.js";
import { proxyArgs } from "../args/common-args.js";
import { claudeContextEnv } from "../claude-code/claude-context-env.js";
import { claudeStreamIdleEnv } from "../claude-code/claude-stream-idle-env.js";
import { claudeToolSearchEnv } from "../claude-code/claude-tool-search-env.js";
import { smallContextWarnings } from "../small-context-warning.js";
import { claudeCommand } from "../../setup/claude-command.js";
import { mallexCommand } from "../../setup/mallex-command.js";
import { resumeHint } from "../claude-code/resume-hint.js";
import { fetchClaudeCode } from "../claude-code/fetch-claude-code.js";
import { warmUp } from "../warm-up.js";
import { setupConfigPath } from "../../config/config-layers.js";
import { repeatedOption } from "../args/repeated-option.js";
import { dashboardLink } from "../dashboard-link.js";
import { serve, type Serving } from "../serve.js";
import type { KeptServer } from "../../supervisor/types.js";
import { printErr, printOut } from "../terminal-text.js";
import { describeServedModel } from "../../setup/model-expectations.js";
import { listLocalProfiles } from "../../setup/recommend-profile.js";
import { MIN_SAMPLES } from "../../router/predict-ttft.js";
import { createTtftRates, ttftRatesPath } from "../../observe/ttft-rates.js";
import { describeLearnOutcome, learnClaudeCodeLines } from "../../observe/learn-claude-code-lines.js";

export default defineCommand({
  meta: { name: "run", description: "Start the proxy and the local model server, then launch Claude Code pointed at them (mallex run -- <claude args>)" },
  args: {
    ...proxyArgs,
    port: { ...proxyArgs.port, description: "Port to serve on (default: a free one; Claude Code is told which)" },
    setup: { type: "boolean", description: "Run `mallex init` first" },
  },
  async run({ args, rawArgs }) {
    const packageRoot = findPackageRoot();
    // While Claude Code owns the terminal, mallex writes only to $MALLEX_HOME/mallex.log: a line of
    // its own would tear through Claude Code's screen.
    let claudeOwnsTerminal = false;
    const print = (line: string) => {
      if (!claudeOwnsTerminal) printErr(line);
    };
    const config = args.config;
    if (args.setup && !(await setUp(config, args["backend-url"], print))) return;
    // Claude Code talks to mallex with a token only this session knows.
    const token = `mallex-${randomBytes(16).toString("hex")}`;
    const serving = await serve(
      { ...args, backendUrls: repeatedOption(rawArgs, "backend-url"), config, port: args.port ?? "0" },
      { packageRoot, print, authToken: token, stopSignals: ["SIGTERM", "SIGHUP"], modelActions: true },
    );
    // Before the model loads (minutes, the first time): the dashboard shows its progress, and only this
    // session knows the token that opens it.
    print(`mallex: dashboard: ${dashboardLink(serving.proxy.url, token)}`);
    print(`mallex: ${serving.config}`);
    const served = serving.defaultProfile;
    if (served !== undefined && serving.table.backends[served.backend]?.kind !== "anthropic") {
      const rates = createTtftRates({ file: ttftRatesPath(serving.mallexHome), onError: () => {} }).get(served);
      const line = describeServedModel(serving.table.routing.defaultTier, served, rates, {
        minSamples: MIN_SAMPLES,
        profiles: listLocalProfiles(serving.table),
        mallex: mallexCommand({ env: process.env, cwd: process.cwd(), packageRoot }),
      });
      if (line !== undefined) print(`mallex: ${line}`);
    }
    // A signal ends the session abnormally: stopAllOnExit stops every server then, and none is kept.
    const interruption = new AbortController();
    const interrupt = (signal: NodeJS.Signals) => interruption.abort(signal);
    process.on("SIGTERM", interrupt);
    process.on("SIGHUP", interrupt);
    // Until Claude Code has the terminal, Ctrl-C is mallex's: it stops a server still loading as
    // SIGTERM does (its pidfile goes with it) instead of killing mallex on the spot.
    const disposeCtrlC = stopAllOnExit(() => serving.supervisors.all(), { signals: ["SIGINT"], reraise: false, onSignal: () => serving.supervisors.close() });
    process.on("SIGINT", interrupt);
    const ownCtrlC = () => {
      disposeCtrlC();
      process.off("SIGINT", interrupt);
    };
    let exitCode = 1;
    let resume: string | undefined;
    try {
      const ready = await warmUp(serving, args["backend-url"] !== undefined, print).catch((error: unknown) => {
        if (interruption.signal.aborted) return false;
        throw error;
      });
      if (interruption.signal.aborted) exitCode = 128 + signalNumber(String(interruption.signal.reason));
      if (!ready || interruption.signal.aborted) return;
      const claude = claudeCommand(process.env, packageRoot);
      // Ctrl-C reaches npx too (it shares mallex's process group): its failure then is no news.
      if (claude.npx)
        await fetchClaudeCode(claude, print).catch((error: unknown) => {
          if (!interruption.signal.aborted) throw error;
        });
      if (interruption.signal.aborted) return;
      // The local model's context window, so auto-compact fires before it overflows (not at Claude's).
      // From the table as the servers are: a server holding less than a profile declares sets the window.
      // Before Claude Code has the terminal: a context too small for it, and how to give it a larger one.
      for (const warning of smallContextWarnings(serving.proxy.table())) print(warning);
      const context = claudeContextEnv(serving.proxy.table(), process.env, args._.map(String));
      for (const note of context.notes) print(`mallex: ${note}`);
      // Every tool up front when a tier's local model cannot search for deferred ones (ToolSearch).
      const toolSearch = claudeToolSearchEnv(serving.table, process.env);
      for (const note of toolSearch.notes) print(`mallex: ${note}`);
      // A local model's long prefill sends no event Claude Code counts: its own watchdog would hang up.
      const streamIdle = claudeStreamIdleEnv(serving.table, process.env);
      for (const note of streamIdle.notes) print(`mallex: ${note}`);
      // A release the built-in lines were not learned from: its own text learned from it once (a few
      // seconds, kept in MALLEX_HOME), else its new sections are kept as the user's. npx runs the
      // tested release, which they were learned from.
      if (claude.npx === undefined) {
        const learned = await learnClaudeCodeLines({
          bin: claude.file,
          env: { ...context.env, ...toolSearch.env },
          mallexHome: serving.mallexHome,
          lines: serving.proxy.claudeCodeLines,
          signal: interruption.signal,
        });
        if (interruption.signal.aborted) {
          exitCode = 128 + signalNumber(String(interruption.signal.reason));
          return;
        }
        const line = describeLearnOutcome(learned);
        if (line !== undefined) print(line);
      }
      ownCtrlC();
      const env: Record<string, string | undefined> = {
        ...process.env,
        ...context.env,
        ...toolSearch.env,
        ...streamIdle.env,
        ANTHROPIC_BASE_URL: serving.proxy.url,
        ANTHROPIC_AUTH_TOKEN: token,
        // mallex holds the real key for the Claude tiers; Claude Code must not send it to the proxy.
        ANTHROPIC_API_KEY: undefined,
        // The per-conversation attribution line sits first in the prompt and defeats the prefix cache.
        CLAUDE_CODE_ATTRIBUTION_HEADER: "0",
        // A local model is often run offline, where Claude Code's updater only fails; a value of the user's stands (0: updates on).
        DISABLE_AUTOUPDATER: process.env.DISABLE_AUTOUPDATER || "1",
      };
      claudeOwnsTerminal = true;
      const child = execa(claude.file, [...claude.prefix, ...args._.map(String)], { stdio: "inherit", env, extendEnv: false, reject: false });
      // Should mallex die without cleaning up (SIGKILL), Claude Code goes too rather than sit on a dead
      // proxy. The watch is a sibling: Claude Code keeps the terminal's foreground group (raw mode, Ctrl-C).
      const watch = child.pid === undefined ? undefined : armDeathWatch({ pid: child.pid, group: false, graceMs: CLAUDE_GRACE_MS });
      // Ctrl-C belongs to Claude Code (it shares the terminal); mallex cleans up once it has exited.
      const ignore = () => undefined;
      process.on("SIGINT", ignore);
      const forward = () => child.kill("SIGTERM");
      process.on("SIGTERM", forward);
      const result = await child;
      watch?.disarm();
      claudeOwnsTerminal = false;
      process.off("SIGINT", ignore);
      process.off("SIGTERM", forward);
      // Not started at all (execa says why): Claude Code printed nothing, so mallex does.
      if (result.failed && result.exitCode === undefined && result.signal === undefined)
        throw new MallexError("E_CLAUDE_CODE", `mallex: Claude Code did not start: ${result.shortMessage}`);
      exitCode = result.exitCode ?? (result.signal ? 128 + signalNumber(result.signal) : 1);
      // Claude Code's own parting `claude --resume <id>` would leave mallex out.
      resume = resumeHint({
        sessionId: serving.proxy.lastSession(),
        mallex: mallexCommand({ env: process.env, cwd: process.cwd(), packageRoot }),
        runArgs: rawArgs,
        env: process.env,
      });
    } finally {
      ownCtrlC();
      const kept = interruption.signal.aborted ? [] : await keepServers(serving, print, interruption.signal);
      process.off("SIGTERM", interrupt);
      process.off("SIGHUP", interrupt);
      await serving.close();
      for (const server of kept)
        print(`mallex: kept the model server ${server.key} running (pid ${server.pid}) for the next session; stop it with \`mallex server stop\``);
      // Last, where Claude Code's own resume line was: what the user reads when the terminal is theirs again.
      if (resume !== undefined) print(resume);
      // 1 when the server gave up before Claude Code started.
      process.exitCode = exitCode;
    }
  },
});

/** The longest npx may take to download Claude Code before mallex gives up on it. */
/** Claude Code's time to restore the terminal after SIGTERM, when mallex died under it. */
const CLAUDE_GRACE_MS = 5000;

/**
 * `--setup`: writes this machine's settings with `mallex init` unless they exist (`--config`, else
 * $MALLEX_HOME/mallex.yaml, as `mallex init` writes them); the run then finds its config as every command
 * does (config-layers.ts). False when the recommended model needs a server mallex cannot start here
 * (init printed what to run).
 */
async function setUp(config: string | undefined, backendUrl: string | undefined, print: (line: string) => void): Promise<boolean> {
  const path = setupConfigPath(config, process.cwd(), process.env);
  if (existsSync(path)) {
    print(`mallex: using ${path} (\`mallex init --force${config === undefined ? "" : ` --out ${path}`}\` writes a new one)`);
    return true;
  }
  const { initFromTerminal, printNext } = await import("./init.js");
  const result = await initFromTerminal({ ...(config !== undefined ? { out: path } : {}), goesOn: true });
  // A model server to start by hand first (mlx-lm off Apple Silicon): here it stops, and says what to run.
  if (result.backendUrl !== undefined && backendUrl === undefined) {
    printNext(result.next, printOut);
    return false;
  }
  return true;
}

/**
 * The session ended normally: keeps the ready servers whose backend says on_exit: keep, and those
 * that say ask when the user answers yes (no terminal to ask on: stopped). The rest is stopped by
 * serving.close().
 */
async function keepServers(serving: Serving, print: (line: string) => void, interrupted: AbortSignal): Promise<KeptServer[]> {
  const ready = serving.supervisors.all().filter((supervisor) => supervisor.state === "ready");
  const keep = ready.filter((supervisor) => serving.onExitOf(supervisor) === "keep");
  const asking = ready.filter((supervisor) => serving.onExitOf(supervisor) === "ask");
  if (asking.length > 0) {
    const what = asking.length === 1 ? "the model server" : `the ${asking.length} model servers`;
    if (!(process.stdin.isTTY && process.stderr.isTTY)) print(`mallex: on_exit: ask, but there is no terminal to ask on; stopping ${what}`);
    else if (await askYesNo(`Keep ${what} running for the next session? [y/N] `, { signal: interrupted })) keep.push(...asking);
  }
  if (interrupted.aborted) return [];
  return keep.map((supervisor) => supervisor.keep()).filter((server) => server !== undefined);
}

/**
 * Asks a yes/no question on a terminal; anything but y/yes is no, and so are Ctrl-C, Ctrl-D and an
 * aborted signal (mallex got SIGTERM/SIGHUP while asking).
 */
export function askYesNo(
  question: string,
  options: { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream & { isTTY?: boolean }; signal?: AbortSignal } = {},
): Promise<boolean> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  return new Promise((resolve) => {
    if (options.signal?.aborted) return resolve(false);
    const rl = createInterface({ input, output, terminal: output.isTTY === true });
    let done = false;
    const finish = (yes: boolean) => {
      if (done) return;
      done = true;
      options.signal?.removeEventListener("abort", onAbort);
      rl.close();
      resolve(yes);
    };
    const onAbort = () => {
      output.write("\n");
      finish(false);
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    rl.on("SIGINT", onAbort);
    rl.on("close", () => finish(false));
    rl.question(question, (answer) => finish(/^\s*y(es)?\s*$/i.test(answer)));
  });
}

function signalNumber(signal: string): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0;
}
