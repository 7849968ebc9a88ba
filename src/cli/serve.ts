import { randomBytes } from "node:crypto";
import { homedir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { ensureCompiled } from "../compile/ensure-compiled.js";
import { retiringModelWarnings } from "../compile/check-claude-model.js";
import type { CompiledProfile, RoutingTable } from "../compile/routing-table.js";
import { formatDiagnostic } from "../config/diagnostics.js";
import { loadValidator } from "../shared/load-validator.js";
import { MallexError } from "../shared/mallex-error.js";
import { resolveMallexHome } from "../shared/files/mallex-home.js";
import { createLogWriter, logFilePath, logRotationOf } from "../observe/log-file.js";
import { startProxy, type RunningProxy } from "../server/start-proxy.js";
import type { DashboardFeed } from "../observe/dashboard/dashboard-feed.js";
import { withEmbeddedModel, withPlannedContexts } from "../server/with-embedded-model.js";
import { askContextPlan } from "../engine/ask-context-plan.js";
import type { ContextPlan, ContextPlanOptions } from "../engine/plan-engine-context.js";
import { mallexArgv } from "../shared/mallex-argv.js";
import { createSupervisorPool, supervisedSpec, type SupervisorPool } from "../backends/supervisor-pool.js";
import type { createSupervisor } from "../supervisor/create-supervisor.js";
import { stopAllOnExit } from "../supervisor/processes/stop-all-on-exit.js";
import { createModelSizes, defaultModelSizeDeps } from "../supervisor/memory/model-sizes.js";
import type { ServerSupervisor, SupervisorEvent } from "../supervisor/types.js";
import { loadTemplates } from "../templates/load-templates.js";
import { checkEmbeddedModel, checkEmbeddedProfiles } from "./check-embedded-model.js";
import { ensureEmbeddedEngine } from "./ensure-embedded-engine.js";
import { describeConfigLayers, findConfigLayers } from "../config/config-layers.js";
import { parseCount } from "./args/parse-count.js";
import { parseDebugLevel } from "./args/parse-debug-level.js";
import { parseGpuLayers } from "./args/parse-gpu-layers.js";
import { listModelsLazily } from "./list-models-lazily.js";
import { formatSupervisorEvent } from "./format-supervisor-event.js";
import { liveProxies, proxyRecordPath, removeProxyRecord, writeProxyRecord } from "../supervisor/processes/proxy-records.js";
import { stampOf } from "../supervisor/processes/process-identity.js";
import { securePrivateHome } from "../shared/files/private-files.js";
import { withEngineToken } from "../server/with-engine-token.js";
import { fitTiersToModel } from "../server/fit-tiers-to-model.js";
import { createModelActions } from "./model-actions/create-model-actions.js";

/** The options `mallex proxy` and `mallex run` share (see common-args.ts). */
export interface ServeArgs {
  config?: string;
  port?: string;
  "backend-url"?: string;
  /** Every `--backend-url` when it was given more than once (repeatedOption): a pool of servers. */
  backendUrls?: string[];
  "anthropic-url"?: string;
  "server-command"?: string;
  embedded?: string;
  threads?: string;
  "ctx-size"?: string;
  "gpu-layers"?: string;
}

export interface Serving {
  proxy: RunningProxy;
  table: RoutingTable;
  /** The profile of the default tier: the one `mallex run` starts before Claude Code opens. */
  defaultProfile?: CompiledProfile;
  /** What the config says to do with started servers when `mallex run` ends (the default tier's backend). */
  onExit: OnExit;
  /** The `on_exit` of the backend this supervisor's server belongs to. */
  onExitOf(supervisor: ServerSupervisor): OnExit;
  supervisors: SupervisorPool;
  mallexHome: string;
  /** The files of its config, in the line every command prints (config-layers.ts). */
  config: string;
  /** Closes the proxy and stops every server mallex started (except those kept with supervisor.keep()). */
  close(): Promise<void>;
}

export type OnExit = "stop" | "keep" | "ask";

/** Compile if needed, then serve: the part of `mallex proxy` and `mallex run` that is the same. */
export interface ServeOptions {
  packageRoot: string;
  print(line: string): void;
  /** Overrides server.auth_token (`mallex run` gives Claude Code a token of its own). */
  authToken?: string;
  /**
   * Signals on which every started server is stopped. `mallex run` leaves SIGINT out: Ctrl-C belongs
   * to Claude Code, which shares the terminal, and the servers run in their own process groups.
   */
  stopSignals: NodeJS.Signals[];
  /** The compiled table, changed as a caller means to serve it (`mallex eval`'s variants: trimming off, no escalation). */
  adjustTable?: (table: RoutingTable) => RoutingTable;
  /** The dashboard's Models page may change this config, download and remove models, and run an eval (`mallex proxy`, `mallex run`). */
  modelActions?: boolean;
}

export async function serve(args: ServeArgs, options: ServeOptions): Promise<Serving> {
  // Before anything starts: a MALLEX_DEBUG the user mistyped fails here, not in silence.
  const debugLevel = parseDebugLevel(process.env.MALLEX_DEBUG);
  const port = args.port === undefined ? undefined : Number(args.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535))
    throw new MallexError("E_USAGE", `--port must be a port number, got "${args.port}"`, { exitCode: 2 });
  const backendUrl = args["backend-url"];
  for (const url of [...(args.backendUrls ?? []), ...(backendUrl === undefined ? [] : [backendUrl])]) {
    if (!/^https?:\/\/[^/]+(\/.*)?$/.test(url))
      throw new MallexError("E_USAGE", `--backend-url must be an http(s) URL ending in /v1, got "${url}"`, { exitCode: 2 });
  }
  const backendUrls = args.backendUrls !== undefined && args.backendUrls.length > 1 ? args.backendUrls : undefined;
  const anthropicUrl = args["anthropic-url"];
  if (anthropicUrl !== undefined && !isHttpUrl(anthropicUrl))
    throw new MallexError("E_USAGE", `--anthropic-url must be an http(s) URL (e.g. https://api.anthropic.com), got "${anthropicUrl}"`, { exitCode: 2 });
  const serverCommand = args["server-command"];
  if (serverCommand !== undefined && backendUrl !== undefined) {
    throw new MallexError(
      "E_USAGE",
      "--backend-url (a server that is already running) and --server-command (a server mallex starts) exclude each other: pass one.",
      { exitCode: 2 },
    );
  }
  // mallex picks the port and waits for the server there: a command without {port} would listen elsewhere.
  if (serverCommand !== undefined && !serverCommand.includes("{port}")) {
    throw new MallexError(
      "E_USAGE",
      `--server-command has no {port}: put {port} where the server takes its port (e.g. "${serverCommand} --port {port}"); mallex fills in a free one.`,
      { exitCode: 2 },
    );
  }

  const embedded = args.embedded;
  if (embedded !== undefined && (backendUrl !== undefined || serverCommand !== undefined)) {
    throw new MallexError("E_USAGE", "--embedded (mallex runs the GGUF itself) excludes --backend-url and --server-command: pass one.", { exitCode: 2 });
  }
  if (embedded === undefined && (args.threads !== undefined || args["ctx-size"] !== undefined || args["gpu-layers"] !== undefined)) {
    throw new MallexError("E_USAGE", "--threads, --ctx-size and --gpu-layers set the embedded engine: use them with --embedded PATH.gguf.", { exitCode: 2 });
  }
  const threads = parseCount(args.threads, "--threads", 1);
  const contextSize = parseCount(args["ctx-size"], "--ctx-size", 256);
  const gpuLayers = parseGpuLayers(args["gpu-layers"]);
  const engine = {
    ...(threads !== undefined ? { threads } : {}),
    ...(contextSize !== undefined ? { contextSize } : {}),
    ...(gpuLayers !== undefined ? { gpuLayers } : {}),
  };
  if (embedded !== undefined) await checkEmbeddedModel(embedded, process.env);

  const cwd = process.cwd();
  const layers = findConfigLayers(args.config, cwd, options.packageRoot);
  const configPath = layers.entry;
  const generatedDir = join(dirname(configPath), "generated");
  const compiled = await ensureCompiled({ configPath, under: layers.under, outDir: generatedDir, cwd, env: process.env, packageRoot: options.packageRoot });
  for (const warning of compiled.warnings) options.print(formatDiagnostic(warning));
  if (!compiled.compiled) for (const warning of retiringModelWarnings(compiled.table)) options.print(warning);
  if (compiled.writeError) options.print(`mallex: ${compiled.writeError} (using the freshly compiled table)`);
  // The schema's supervise: defaults, for the servers --server-command and --embedded start (only
  // they have none of their own): the config validator that fills them in is loaded for them alone.
  const defaults =
    serverCommand !== undefined || embedded !== undefined
      ? await (await import("../backends/supervision-defaults.js")).supervisionFor(serverCommand ?? "", options.packageRoot)
      : undefined;
  // The engines this mallex starts answer only it: a secret made now, known to it and them alone.
  const engineToken = randomBytes(32).toString("base64url");
  // Each engine's context is planned once per model and settings: a config changed while mallex runs
  // keeps the context its engines were started with (another would start a second engine beside it).
  const plans = new Map<string, Promise<ContextPlan>>();
  const planOnce = (plan: ContextPlanOptions) => {
    const key = JSON.stringify(plan);
    let planned = plans.get(key);
    if (planned === undefined) plans.set(key, (planned = askContextPlan({ ...plan, mallex: mallexArgv(options.packageRoot) })));
    planned.catch(() => plans.delete(key));
    return planned;
  };
  /**
   * The compiled table as this mallex serves it: at its start, and again when the Models page changed
   * its config (`print`: then the log's, not the terminal Claude Code may hold).
   */
  const shape = async (compiledTable: RoutingTable, print: (line: string) => void): Promise<RoutingTable> => {
    // The notices that name a profile's setting say which file to change (in-config-file.ts): the
    // lowest layer, where a machine's models are set.
    const settings = layers.files[0]!;
    const withFile = { ...compiledTable, configFile: { path: settings.path, shipped: settings.role === "shipped" } };
    const adjusted = options.adjustTable ? options.adjustTable(withFile) : withFile;
    const served = embedded === undefined ? adjusted : withEmbeddedModel(adjusted, { model: embedded, engine, supervision: defaults! });
    // With --backend-url no engine starts: the running server has the model.
    if (backendUrl === undefined) await checkEmbeddedProfiles(served, process.env);
    // node-llama-cpp for those engines (installed the first time, from npm) before one is planned or started.
    if (backendUrl === undefined) await ensureEmbeddedEngine(served, { packageRoot: options.packageRoot, mallexHome: resolveMallexHome(process.env), print });
    // Before any engine (or Claude Code) starts: the context it will hold, for everything that depends on
    // it (with --backend-url none starts).
    const planned = backendUrl !== undefined ? served : await withPlannedContexts(served, { plan: planOnce, print });
    // Its tiers on the settings made for a model of its size, not the size the config declared there.
    const fitted = embedded === undefined ? { table: planned } : fitTiersToModel(planned);
    if (fitted.note !== undefined) print(fitted.note);
    return withEngineToken(fitted.table, engineToken);
  };
  const table = await shape(compiled.table, options.print);
  const defaultTier = table.tiers[table.routing.defaultTier];
  const defaultProfile = defaultTier ? table.profiles[defaultTier.profile] : undefined;

  const mallexHome = resolveMallexHome(process.env);
  const tightened = securePrivateHome(mallexHome);
  if (tightened !== undefined) options.print(tightened);
  // Model-server events go to the log file too: while Claude Code owns the terminal they are shown nowhere else.
  // One writer for the file (it rotates it), shared with the proxy; closed last, so no line is lost.
  const logWriter = createLogWriter(logFilePath(mallexHome, table), { rotation: logRotationOf(table), onError: options.print });
  const logEvent = (line: string) => logWriter.write(line, options.print);
  const poolOptions = { ...(serverCommand !== undefined ? { serverCommand } : {}), ...(defaults ? { defaults } : {}) };
  let supervise: typeof createSupervisor | undefined;
  // The dashboard shows each server's progress and last error: its feed exists once the proxy does, before any server starts.
  let dashboard: DashboardFeed | undefined;
  // A server that is ready is given the prefix its profiles' sessions start with (warm-prompt-cache.ts), once the proxy exists.
  let warm: ((key: string, baseUrl: string) => void) | undefined;
  // A server about to stop keeps the session it holds (keep-last-conversation.ts), once the proxy exists.
  let keepLast: ((baseUrl: string) => Promise<void>) | undefined;
  const serverEvent = (key: string, event: SupervisorEvent) => {
    for (const line of formatSupervisorEvent(key, event)) logEvent(line);
    dashboard?.serverEvent(key, event);
    if (event.type === "ready") warm?.(key, event.baseUrl);
  };
  const supervisors = createSupervisorPool(table, {
    ...poolOptions,
    // Loaded below before any request can get here: the pool creates supervisors for its backends only.
    create: (spec, observe) =>
      supervise!(spec, {
        mallexHome,
        beforeStop: (baseUrl) => keepLast?.(baseUrl) ?? Promise.resolve(),
        onEvent: (event) => {
          observe(event);
          serverEvent(spec.key, event);
        },
      }),
    // Why a server waits for room or was unloaded to make some: a line of that server's events.
    memory: {
      totalBytes: totalmem(),
      sizes: createModelSizes(defaultModelSizeDeps(mallexHome)),
      note: (key, message) => serverEvent(key, { type: "progress", message }),
    },
  });
  // Process management (execa, pidfiles, death watches) is loaded only when mallex may start a server.
  if (backendUrl === undefined && supervisors.backends.size > 0) supervise = (await import("../supervisor/create-supervisor.js")).createSupervisor;
  // Each server's on_exit and the profiles it serves, by supervisor key: that of the backend it runs for.
  const onExitByKey = new Map<string, OnExit>();
  const profilesByKey = new Map<string, CompiledProfile[]>();
  for (const profile of Object.values(table.profiles)) {
    const backend = table.backends[profile.backend];
    if (!backend || !supervisors.backends.has(profile.backend)) continue;
    const key = supervisedSpec(profile, backend, poolOptions).key;
    onExitByKey.set(key, (backend.supervise ?? defaults!).onExit);
    profilesByKey.set(key, [...(profilesByKey.get(key) ?? []), profile]);
  }
  // Never an orphan: the servers go with mallex, however it ends (the CLI's own handlers then close the proxy).
  // On a signal no server may start any more: a request waiting for memory would start one while the others stop.
  // The Models page's actions (proxy and run): they change this config and the models folder, and run an eval through this proxy.
  let running: RunningProxy | undefined;
  const modelActions = options.modelActions
    ? createModelActions({
        layers,
        cwd,
        env: process.env,
        packageRoot: options.packageRoot,
        mallexHome,
        proxy: () => running,
        reload: async () => {
          const again = await ensureCompiled({
            configPath,
            under: layers.under,
            outDir: generatedDir,
            cwd,
            env: process.env,
            packageRoot: options.packageRoot,
          });
          for (const warning of again.warnings) logWriter.write(formatDiagnostic(warning));
          return running!.adoptConfig(await shape(again.table, (line) => logWriter.write(line)));
        },
        ...(embedded !== undefined ? { servedBy: `--embedded ${embedded}` } : backendUrl !== undefined ? { servedBy: `--backend-url ${backendUrl}` } : {}),
        log: (line) => logWriter.write(line),
      })
    : undefined;
  const disposeExitHandlers = stopAllOnExit(() => supervisors.all(), { signals: options.stopSignals, reraise: false, onSignal: () => supervisors.close() });
  const proxy = await startProxy({
    table,
    templates: await loadTemplates(generatedDir),
    validateMessages: await loadValidator(options.packageRoot, "validate-messages"),
    env: process.env,
    mallexHome,
    // The dashboard's Models tab: models/ is imported on its first look.
    listModels: listModelsLazily({ env: process.env, homedir: homedir(), cwd, mallexHome }),
    ...(port !== undefined ? { port } : {}),
    ...(backendUrl !== undefined ? { backendUrl, ...(backendUrls !== undefined ? { backendUrls } : {}) } : { supervisors }),
    ...(anthropicUrl !== undefined ? { anthropicUrl } : {}),
    ...(options.authToken !== undefined ? { authToken: options.authToken } : {}),
    print: options.print,
    logWriter,
    debugLevel,
    ...(modelActions ? { modelActions } : {}),
  });
  running = proxy;
  dashboard = proxy.dashboard;
  keepLast = proxy.keepLastConversation;
  // The default tier's profile first: the first session goes there.
  warm = (key, baseUrl) => {
    const profiles = profilesByKey.get(key) ?? [];
    void proxy.warmPromptCache([...profiles.filter((p) => p === defaultProfile), ...profiles.filter((p) => p !== defaultProfile)], baseUrl);
  };
  // For `mallex status` in another terminal, beside those of other mallex on this MALLEX_HOME (whose
  // stale ones, left by a mallex that was killed, go now); a failure to write it costs that command only.
  const self = stampOf(process.pid);
  try {
    liveProxies(mallexHome);
    writeProxyRecord(mallexHome, {
      url: proxy.url,
      ...self,
      startedAt: new Date().toISOString(),
      config: describeConfigLayers(layers),
      ...(options.authToken !== undefined ? { token: options.authToken } : {}),
    });
  } catch (error) {
    options.print(`mallex: cannot write ${proxyRecordPath(mallexHome, process.pid)} (${(error as Error).message}); mallex status will need --url`);
  }
  const supervised = defaultProfile ? table.backends[defaultProfile.backend]?.supervise : undefined;
  return {
    proxy,
    table,
    config: describeConfigLayers(layers, cwd),
    ...(defaultProfile ? { defaultProfile } : {}),
    onExit: supervised?.onExit ?? "stop",
    onExitOf: (supervisor) => onExitByKey.get(supervisor.spec.key) ?? "stop",
    supervisors,
    mallexHome,
    async close() {
      modelActions?.close();
      removeProxyRecord(mallexHome, self);
      supervisors.close();
      await proxy.close();
      await Promise.all(supervisors.all().map((s) => s.stop()));
      disposeExitHandlers();
      await logWriter.close();
    },
  };
}

/** An absolute http(s) URL with a host: what a backend's base URL has to be. */
function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
}
