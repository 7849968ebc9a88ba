import { createServer, type Server } from "node:http";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { toNodeHandler } from "h3";
import { createBackendPools } from "../backends/pool/backend-pool.js";
import { createCircuitBreakers } from "../backends/circuit-breaker.js";
import { createExoInstances } from "../backends/exo/exo-instances.js";
import { probeServer } from "../backends/pool/probe-server.js";
import { resolveBackends, type RuntimeBackend } from "../backends/resolve-backends.js";
import { createUpstreamClient, upstreamTimeouts } from "../backends/upstream-client.js";
import type { RoutingTable } from "../compile/routing-table.js";
import type { Templates } from "../templates/load-templates.js";
import type { SupervisorPool } from "../backends/supervisor-pool.js";
import { interpolateEnv, type EnvLookup } from "../config/interpolate-env.js";
import { MallexError } from "../shared/mallex-error.js";
import { compileRouterRules } from "../router/compile-rules.js";
import { regexWarmSteps } from "../compile/linear-regex-of.js";
import { createSessionPrompts } from "../router/session-prompts.js";
import { createClassifierCache } from "../router/classifier-cache.js";
import { createSessionStore } from "../router/session-store.js";
import { createToolSchemaCache, warmToolSchemaCache } from "../tools/check-tool-call.js";
import { createPrefixCache } from "../trim/prefix-cache.js";
import type { ValidateFunction } from "../../generated/validate-messages.mjs";
import { createBackendCapacities } from "../observe/backend-capacities.js";
import { createBackendQueues } from "../backends/backend-queue.js";
import { discoverServerFacts } from "../backends/discover-server-facts.js";
import type { DiscoverServerFacts, ServerFacts } from "../backends/server-facts.js";
import type { CompiledProfile } from "../compile/routing-table.js";
import { learnServerFacts, type LiveTable } from "./learn-server-facts.js";
import { isLoopbackHost } from "../http/check-auth.js";
import { createClaudeCodeDriftAlarm } from "../observe/claude-code-drift.js";
import { createApp } from "./create-app.js";
import { adoptConfigChange } from "./adopt-config-change.js";
import type { ModelActions } from "./routes/model-actions.js";
import { createDashboardFeed, type DashboardFeed } from "../observe/dashboard/dashboard-feed.js";
import { summarizeCapacity } from "../observe/dashboard/capacity-summary.js";
import { summarizeContexts } from "../observe/dashboard/context-summary.js";
import { reachableBackends } from "../observe/dashboard/reachable-profiles.js";
import { summarizePools } from "../observe/dashboard/pool-summary.js";
import { hardenNodeServer, SERVER_LIMITS } from "../http/harden-node-server.js";
import { serverCloser } from "../http/close-server.js";
import { createLogWriter, logFilePath, logRotationOf, type LogWriter } from "../observe/log-file.js";
import type { DebugLevel } from "../observe/debug-lines.js";
import { collectSecrets, createRedactor } from "../observe/redact-secrets.js";
import { createIdGenerator } from "../http/request-id.js";
import { createLargeBodyCollector } from "./collect-after-large-body.js";
import { createRequestWatcher } from "../observe/request-watch.js";
import { claudeCodeDriftPath, createClaudeCodeDriftSaver } from "../observe/save-claude-code-drift.js";
import { createLastRequestSaver, lastRequestDir } from "../observe/save-last-request.js";
import { createMallexMetrics } from "../observe/mallex-metrics.js";
import type { ServerContext } from "../pipeline/server-context.js";
import { findPackageRoot } from "../shared/package-root.js";
import { createTtftRates, ttftRatesPath } from "../observe/ttft-rates.js";
import { createStablePrefixes, stablePrefixesPath } from "../observe/stable-prefixes.js";
import { warmPromptCache } from "./warm-prompt-cache.js";
import { keepLastConversation } from "./keep-last-conversation.js";
import { slotSaveDir } from "../shared/files/mallex-home.js";
import { RETENTION_LIMITS } from "../shared/retention-limits.js";
import { lastEvalPath } from "../observe/dashboard/save-last-eval.js";
import type { ListModels } from "../observe/dashboard/dashboard-context.js";
import { loadClaudeCodeLines, type ClaudeCodeLines } from "../observe/claude-code-lines.js";

export interface StartProxyOptions {
  table: RoutingTable;
  templates: Templates;
  validateMessages: ValidateFunction;
  env: EnvLookup;
  mallexHome: string;
  /** The dashboard's Models tab: this machine's models for the live table (the CLI's, models/; absent: /ui/api/models answers 404). */
  listModels?: ListModels;
  /** Overrides server.port (0: any free port). */
  port?: number;
  backendUrl?: string;
  /** `--backend-url` given more than once: every local profile goes to this pool of servers. */
  backendUrls?: string[];
  /** `--anthropic-url`: the base URL of every anthropic-kind backend, instead of the config's. */
  anthropicUrl?: string;
  /** The local servers mallex starts itself (ignored with backendUrl). */
  supervisors?: SupervisorPool;
  /** Overrides server.auth_token (`mallex run` gives Claude Code a token of its own). */
  authToken?: string;
  /** Where log lines go besides MALLEX_HOME's log file (the CLI passes stderr). */
  print: (line: string) => void;
  /** The log file writer to share (the CLI's, which model-server events use too); else one of its own, closed with the proxy. */
  logWriter?: LogWriter;
  /** MALLEX_DEBUG, as the CLI read it (default 0: off). */
  debugLevel?: DebugLevel;
  /** How model servers are asked about themselves (default: each flavor's own endpoint, discover-server-facts.ts). */
  discoverFacts?: DiscoverServerFacts;
  /** The dashboard Models page's actions (cli/model-actions/): absent, its POST routes answer 404. */
  modelActions?: ModelActions;
}

export interface RunningProxy {
  url: string;
  port: number;
  /** The dashboard's feed: the CLI tells it each model-server event. */
  dashboard: DashboardFeed;
  /** The routing table as the servers are: each profile's window and budget fitted to what its server holds. */
  table(): RoutingTable;
  /** Each backend as this proxy sends to it (its URLs after --backend-url, whether mallex starts its server): `mallex eval` records the server of each run. */
  backends: Readonly<Record<string, RuntimeBackend>>;
  /** Reads the server now serving this profile (one mallex started), so table() follows it: what it holds. */
  learnServer(profile: CompiledProfile, baseUrl: string): Promise<ServerFacts | undefined>;
  /** Prefills a server that just became ready with the prefix the first of its profiles known began with last time (warm-prompt-cache.ts). */
  warmPromptCache(profiles: readonly CompiledProfile[], baseUrl: string): Promise<void>;
  /** A server mallex started is about to stop: one with one slot saves the session it holds, for its next start (keep-last-conversation.ts). */
  keepLastConversation(baseUrl: string): Promise<void>;
  /** The Claude Code session of the latest request (a UUID, as Claude Code names them); undefined before any. */
  lastSession(): string | undefined;
  /** Claude Code's own lines learned from releases the built-in ones do not cover: `mallex run` adds the one it learns. */
  claudeCodeLines: ClaudeCodeLines;
  /** The token its clients send (server.auth_token, or the one `mallex run` made); undefined where none is asked. */
  authToken?: string;
  /**
   * The config was compiled anew while it runs (a tier changed on the Models page): its tiers and
   * profiles serve the next request; what else changed waits for a restart (adopt-config-change.ts),
   * said in the lines returned.
   */
  adoptConfig(table: RoutingTable): string[];
  close(): Promise<void>;
}

/** Builds the server context from the routing table and listens (node:http, hardened) on the configured address. */
export async function startProxy(options: StartProxyOptions): Promise<RunningProxy> {
  const { table } = options;
  const host = table.server.host;
  const authToken = options.authToken ?? (table.server.authToken === undefined ? undefined : resolveSecret(table.server.authToken, options.env));
  if (!isLoopbackHost(host) && !authToken) {
    throw new MallexError("E_USAGE", `server.host is ${host}, which other machines can reach: set server.auth_token (e.g. \${MALLEX_TOKEN}) first.`);
  }
  const logWriter = options.logWriter ?? createLogWriter(logFilePath(options.mallexHome, table), { rotation: logRotationOf(table), onError: options.print });
  const echo = table.observability.requestLog ? options.print : undefined;
  const log = (line: string) => logWriter.write(line, echo);
  // What earlier runs learned about each profile's speed: a restart predicts as well as before it.
  const ttftRates = createTtftRates({ file: ttftRatesPath(options.mallexHome), onError: log });
  // What every session of a profile starts with, for a server that starts later (warmPromptCache).
  const stablePrefixes = createStablePrefixes({ file: stablePrefixesPath(options.mallexHome), onError: log });
  // By base URL: a restarted server listens on another port, and is warmed again.
  const warmUps = new Map<string, Promise<void>>();
  const warm = (profiles: readonly CompiledProfile[], baseUrl: string, mode?: { restoredAfter?: string }) => {
    const warming = warmPromptCache(
      profiles,
      backends,
      baseUrl,
      {
        prefixes: stablePrefixes,
        slotDir: slotSaveDir(options.mallexHome),
        client: upstream,
        requestTimeoutMs: table.server.requestTimeoutMs,
        log,
        now: deps.now,
      },
      mode,
    ).finally(() => {
      if (warmUps.get(baseUrl) === warming) warmUps.delete(baseUrl);
    });
    warmUps.set(baseUrl, warming);
    return warming;
  };
  // By base URL: the profile whose session each server's slot holds after its last call (ServerContext.slotHolds).
  const sessionsHeld = new Map<string, CompiledProfile>();
  const keepLast = async (baseUrl: string) => {
    const profile = sessionsHeld.get(baseUrl);
    sessionsHeld.delete(baseUrl);
    if (profile === undefined) return;
    const backend = backends[profile.backend];
    if (backend === undefined) return;
    // With more slots than one, the one saved (the first) need not hold the last session. Asked,
    // not looked up: a stop right after a server's first answer comes while its facts are still read.
    if ((await facts.learnServed(profile, baseUrl))?.parallel !== 1) return;
    const timeoutMs = upstreamTimeouts(backend, table.server.requestTimeoutMs).silenceMs;
    await keepLastConversation(profile, { ...backend, baseUrl }, { prefixes: stablePrefixes, slotDir: slotSaveDir(options.mallexHome), timeoutMs, log });
  };

  const ids = createIdGenerator();
  const deps = { now: () => performance.now(), generateId: ids.id, requestId: ids.requestId };
  const backends = resolveBackends(table, options.env, {
    ...(options.backendUrls !== undefined && options.backendUrls.length > 1
      ? { backendUrls: options.backendUrls }
      : options.backendUrl
        ? { backendUrl: options.backendUrl }
        : { supervised: options.supervisors?.backends ?? new Set() }),
    ...(options.anthropicUrl ? { anthropicUrl: options.anthropicUrl } : {}),
  });
  const supervisors = options.supervisors && !options.backendUrl && options.backendUrls === undefined ? options.supervisors : undefined;
  // The one part that changes while the proxy runs: the table, refitted each time a model server
  // says what it holds (learn-server-facts.ts). The context below reads it from here.
  const live: LiveTable = { table, backends, log };
  // The table as compiled (and shaped by the caller), before fitting: what a config change is adopted into.
  let served = table;
  const facts = learnServerFacts(live, options.discoverFacts ?? discoverServerFacts);
  const breakers = createCircuitBreakers({
    onChange: (backend, change) => {
      // What comes back may be another server, or the same one restarted with other settings.
      if (change.state === "open") live.serverFacts?.forget(backend);
      log(
        change.state === "open"
          ? `backend ${backend}: circuit open after ${change.failures} failures in a row; its tiers fall back for ${Math.round(change.forMs / 1000)} s`
          : `backend ${backend}: circuit closed, it answers again`,
      );
    },
  });
  // A Claude Code newer than the releases checked, whose request matched no rule: one line per version, kept for doctor.
  const driftSaver = createClaudeCodeDriftSaver(claudeCodeDriftPath(options.mallexHome), { onError: options.print });
  const claudeCodeDrift = createClaudeCodeDriftAlarm({ log, save: driftSaver.save, date: () => new Date() });
  // What `mallex run` learned of releases the built-in lines do not cover: their new sections are Claude Code's, not the user's.
  const claudeCodeLines = loadClaudeCodeLines(options.mallexHome);
  const pools = createBackendPools(backends, { log, probe: probeServer });
  // Each queue lets through what its server runs at once, read at every request: a server's facts
  // arrive once it has started, and change when it restarts.
  const capacities = createBackendCapacities({ table, backends, pools, serverFacts: () => live.serverFacts });
  const queues = createBackendQueues(capacities.limitsFor);
  const exoInstances = Object.values(backends).some((backend) => backend.flavor === "exo") ? createExoInstances({ log }) : undefined;
  const feed = createDashboardFeed({
    // Read as each request is summarized: the table in effect, with a profile the config gained since.
    get table() {
      return live.table;
    },
    ...(supervisors ? { supervisors } : {}),
    ...(pools.all().length > 0 ? { pools: () => summarizePools(pools, queues) } : {}),
    // The backends a request can reach: a shipped config's others would show empty queues.
    capacity: () => summarizeCapacity(capacities, queues, reachableBackends(live.table)),
    // The live table, not `table`: it is refitted each time a server says what it holds.
    contexts: () => summarizeContexts({ declared: table, current: live.table, ...(live.serverFacts ? { factsOf: live.serverFacts.get } : {}) }),
    claudeCodeDrift: () => claudeCodeDrift.last(),
    maxRequests: 200,
    maxExplanations: 50,
    maxExplanationBytes: RETENTION_LIMITS.explanationBytes,
    maxClients: 8,
    pollMs: 250,
    now: deps.now,
    date: () => new Date(),
  });
  const closing = new AbortController();
  const redact = createRedactor(collectSecrets(table, backends, options.env, authToken));
  const upstream = createUpstreamClient();
  const saver =
    table.observability.saveLastRequest === false ? undefined : createLastRequestSaver(lastRequestDir(options.mallexHome), { onError: options.print });
  const watchRequest = createRequestWatcher({
    level: options.debugLevel ?? 0,
    // Asked for by MALLEX_DEBUG: shown on the terminal whatever observability.request_log says.
    debug: (line) => logWriter.write(line, options.print),
    redact,
    table,
    upstream,
    ...(saver === undefined ? {} : { saver }),
    keep: feed.keepExplanation,
    now: deps.now,
    date: () => new Date(),
  });
  // Only a UUID is kept: `mallex run` prints it on the terminal as part of a command to run.
  let lastSession: string | undefined;
  // Built once, then frozen: nothing of the server changes under a request but the table, read from its holder.
  const ctx: ServerContext = Object.freeze({
    get table() {
      return live.table;
    },
    rules: compileRouterRules(table),
    backends,
    ...(supervisors ? { supervisors } : {}),
    sessions: createSessionStore(),
    classifierCache: createClassifierCache(),
    ttft: { rates: ttftRates, prompts: createSessionPrompts() },
    stablePrefixes,
    warmingUp: (baseUrl: string) => warmUps.get(baseUrl),
    restorePrefix: (profile: CompiledProfile, baseUrl: string, after: string) => void warm([profile], baseUrl, { restoredAfter: after }),
    slotHolds: (baseUrl: string, session: CompiledProfile | undefined) =>
      void (session === undefined ? sessionsHeld.delete(baseUrl) : sessionsHeld.set(baseUrl, session)),
    templates: options.templates,
    schemaCache: createToolSchemaCache(),
    prefixCache: createPrefixCache(),
    learnedOwnLines: claudeCodeLines.learned,
    validateMessages: options.validateMessages,
    ...(authToken ? { authToken } : {}),
    redact,
    ...(live.serverFacts ? { serverFacts: live.serverFacts } : {}),
    capacities,
    queues,
    breakers,
    pools,
    ...(exoInstances ? { exoInstances } : {}),
    pingIntervalMs: 10_000,
    requestTimeoutMs: table.server.requestTimeoutMs,
    answerTimeoutMs: table.server.answerTimeoutMs,
    upstream,
    metrics: createMallexMetrics(),
    ...(watchRequest === undefined ? {} : { watchRequest }),
    collectAfter: createLargeBodyCollector(),
    claudeCodeDrift,
    onSession: (id: string) => {
      if (SESSION_ID.test(id)) lastSession = id;
    },
    dashboard: {
      feed,
      assetsDir: join(findPackageRoot(), "dist", "ui"),
      showPrompts: table.observability.dashboardPrompts === true,
      heartbeatMs: 15_000,
      lastEvalFile: lastEvalPath(options.mallexHome),
      ...(options.listModels ? { listModels: options.listModels } : {}),
      modelsDir: join(options.mallexHome, "models"),
      closing: closing.signal,
    },
    log,
    loadedAt: new Date().toISOString(),
    deps,
  });
  // Servers mallex does not start are asked what they hold before the first request is trimmed.
  await facts.learnExternal();
  const port = options.port ?? table.server.port;
  // node:http directly: no TLS or certificate code is loaded (mallex serves plain HTTP on loopback),
  // and the server gets its own maxHeaderSize.
  const server = createServer(
    { maxHeaderSize: SERVER_LIMITS.maxHeaderSize },
    toNodeHandler(createApp(ctx, options.modelActions ? { modelActions: options.modelActions } : {})),
  );
  const closeServer = serverCloser(server);
  hardenNodeServer(server);
  let address: AddressInfo;
  try {
    address = await listenOn(server, port, host);
  } catch (error) {
    throw new MallexError(
      "E_USAGE",
      `mallex cannot listen on ${host}:${port}: ${describeListenError(error as NodeJS.ErrnoException, host, port)}. Is another mallex running? Pick another with --port.`,
      { cause: error },
    );
  }
  // What a fresh proxy's first requests would otherwise build on their way, each in a turn of its own
  // once mallex listens, off its start-up: Ajv (30–60 ms, built inside the first tool call's streamed
  // answer it held every other request that long), then the trim's regexes (~50 ms for the shipped
  // rules, which the first request compiled before its first token).
  const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
  const warming = runInTurns([
    () => {
      try {
        warmToolSchemaCache(ctx.schemaCache);
      } catch (error) {
        log(`tool calls cannot be checked against their schemas: Ajv failed to load (${describe(error)})`);
      }
    },
    ...regexWarmSteps(table).map((step) => () => {
      try {
        step();
      } catch (error) {
        // A request that needs this regex compiles it again, and fails there as it would have.
        log(`a rule's regex could not be compiled ahead of the first request (${describe(error)})`);
      }
    }),
  ]);
  const close = async () => {
    warming.cancel();
    // Dashboards' event streams end first: the server's close waits for answers under way, and theirs never end.
    closing.abort();
    pools.close();
    exoInstances?.close();
    await closeServer();
    await upstream.close();
    await Promise.all([saver?.flush(), ttftRates.flush(), driftSaver.flush(), stablePrefixes.flush()]);
    // Every request line is queued by now; the writer the caller passed is the caller's to close.
    await (options.logWriter ? logWriter.flush() : logWriter.close());
  };
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    dashboard: feed,
    table: () => live.table,
    backends,
    learnServer: facts.learnServed,
    warmPromptCache: (profiles, baseUrl) => warm(profiles, baseUrl),
    keepLastConversation: keepLast,
    lastSession: () => lastSession,
    claudeCodeLines,
    ...(authToken ? { authToken } : {}),
    adoptConfig(next) {
      const adopted = adoptConfigChange(served, next);
      served = adopted.table;
      facts.rebase(served);
      // A new profile on a server mallex does not start is read before it is trimmed for, as at start.
      void facts.learnExternal().catch((error: unknown) => log(`reading the model servers again failed: ${(error as Error).message}`));
      log(`config changed: ${describeTiers(served)}${adopted.notes.map((note) => `; ${note}`).join("")}`);
      return adopted.notes;
    },
    close,
  };
}

/** Which profile each tier runs, for the log line of a config change. */
function describeTiers(table: RoutingTable): string {
  return Object.entries(table.tiers)
    .flatMap(([name, tier]) => (tier === undefined ? [] : [`${name} → ${tier.profile}`]))
    .join(", ");
}

/** Claude Code's session ids: `1f37a622-74d8-4a9b-aa99-3092ac198c97`. */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Runs each step in a turn of the event loop of its own (setImmediate), in order, until cancelled. */
function runInTurns(steps: ReadonlyArray<() => void>): { cancel(): void } {
  let next = 0;
  let timer: NodeJS.Immediate | undefined;
  const turn = () => {
    steps[next++]?.();
    timer = next < steps.length ? setImmediate(turn) : undefined;
  };
  if (steps.length > 0) timer = setImmediate(turn);
  return { cancel: () => clearImmediate(timer) };
}

function resolveSecret(text: string, env: EnvLookup): string | undefined {
  const result = interpolateEnv(text, env);
  return result.ok && result.value !== "" ? result.value : undefined;
}

function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function describeListenError(error: NodeJS.ErrnoException, host: string, port: number): string {
  if (error.code === "EADDRINUSE") return `port ${port} is already in use`;
  if (error.code === "EACCES") return `permission denied for port ${port}`;
  if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") return `${host} is not an address of this machine`;
  return error.message;
}
