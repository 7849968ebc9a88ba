/**
 * One start of the server process, up to "ready" or a reason it never got there: port, argv,
 * pidfile, output → log + progress + out-of-memory, a heartbeat while it is silent, and the
 * readiness probe raced against the process exiting (so a dead server fails fast, with its log tail).
 */
import { mallexArgv } from "../shared/mallex-argv.js";
import { slotSaveDir } from "../shared/files/mallex-home.js";
import { makePrivateDirAsync } from "../shared/files/private-files.js";
import { MODEL_SOURCE_EXIT_CODE, readModelSourceFailure } from "../shared/model-source-failure.js";
import { formatArgv, buildServerArgv, contextSizeOf, withContextSize } from "./server-command.js";
import { classifyServerLine, createProgressFilter } from "./classify-server-output.js";
import { engineCommand, gpuFailureSentence, nextGpuSteps, withGpuSteps, type GpuFailure } from "./gpu-fallback.js";
import { describeGpuStep, type EngineBackend, type GpuStep } from "../shared/gpu-steps.js";
import { launchServer, type ExitInfo, type LaunchedServer } from "./launch-server.js";
import { resolveVenvDir } from "./bootstrap-venv.js";
import { mlxLmRequirements } from "./mlx-lm-platform.js";
import { planOpenBlasPreload } from "./preload-openblas.js";
import { ownerIdentity, writePidfile } from "./processes/pidfile.js";
import { probeReadiness } from "./probe-readiness.js";
import { reapOrphans } from "./processes/reap-orphan.js";
import type { ServerLog } from "./server-log.js";
import { SupervisorError } from "./supervisor-error.js";
import { describeExit, lastErrorLine, lastMeaningfulLine, outOfMemorySentence } from "./supervisor-messages.js";
import type { SupervisorDeps } from "./supervisor-deps.js";
import type { SupervisedServerSpec, SupervisorEvent } from "./types.js";
import { createReasonWait } from "./wait-for-reason.js";

/** How long a stopped server's output may take to drain before its error is quoted anyway. */
const DRAIN_WAIT_MS = 2000;
/** How long a server that refused the readiness test may take to say why before it is stopped (wait-for-reason.ts). */
const REASON_WAIT_MS = 2000;
/** How long it must then be silent: mlx.launch relays what it has read every tenth of a second or so. */
const REASON_QUIET_MS = 300;
/** Lines searched for that reason: two ranks' interleaved tracebacks and a launcher's lines on stopping them can bury it. */
const REASON_LINES = 60;

export interface RunLease {
  lastProgress: number;
  controller: AbortController;
  /** Checked for wedging (a streamed request). */
  watched: boolean;
}

/** One server process and what the supervisor knows about it. */
export interface Run {
  server: LaunchedServer;
  port: number;
  baseUrl: string;
  argv: string[];
  ready: boolean;
  /** mallex is stopping it: its exit is no crash. */
  expected: boolean;
  wedged: boolean;
  /** Its output reported out-of-memory. */
  oom: boolean;
  /** After out-of-memory: the halved context for the next start, when the command has one. */
  smallerContext: number | undefined;
  /** Its GPU backend failed (gpu-fallback.ts): the line that said so. */
  gpuFailure: GpuFailure | undefined;
  /** The llama.cpp binary mallex's engine said it loaded (absent for other servers). */
  backend: EngineBackend | undefined;
  /** The GPU backends this start was given (a fallback's: gpu-fallback.ts); undefined: its own choice. */
  gpuSteps: GpuStep[] | undefined;
  leases: Set<RunLease>;
  wedgeTimer: unknown;
}

export type RunOutcome =
  | { kind: "ready"; run: Run; ms: number }
  | { kind: "exited"; run: Run | undefined; info: ExitInfo; error: SupervisorError; smallerContext: number | undefined; gpuFallback?: GpuStep[] }
  | { kind: "failed"; run: Run | undefined; error: SupervisorError }
  | { kind: "aborted"; run: Run | undefined };

export interface LaunchRunOptions {
  spec: SupervisedServerSpec;
  mallexHome: string;
  contextSize: number | undefined;
  /** A GPU backend failed before: the backends this start tries (gpu-fallback.ts withGpuSteps). */
  gpuSteps?: GpuStep[];
  minContextSize: number;
  heartbeatMs: number;
  stopTimeoutMs: number;
  signal: AbortSignal;
  log: ServerLog;
  deps: SupervisorDeps;
  emit(event: SupervisorEvent): void;
  /** The process exists (the pidfile is written next): the supervisor tracks it from here. */
  onStarted(run: Run): void;
}

export async function launchRun(options: LaunchRunOptions): Promise<RunOutcome> {
  const { spec, deps, emit, log } = options;
  const note = (text: string) => log.write(`[mallex] ${new Date(deps.now()).toISOString()} ${spec.key} ${text}`);
  const venv = spec.venv ? resolveVenvDir(options.mallexHome, spec.venv) : undefined;
  if (venv) {
    const requirements = spec.flavor === "mlx-lm" ? mlxLmRequirements(spec.install, deps.platform) : spec.install;
    await deps.bootstrapVenv({ venvDir: venv, requirements, onEvent: emit, signal: options.signal, deps: { execa: deps.execa } });
    if (options.signal.aborted) return { kind: "aborted", run: undefined };
  }
  for (const orphan of await reapOrphans(options.mallexHome, spec.key, deps.inspector, deps.mallexPid))
    emit({
      type: "progress",
      message: `stopped ${spec.key} (pid ${orphan.pid}) left running by ${orphan.kept ? "an earlier session (kept)" : `an earlier mallex (pid ${orphan.mallexPid})`}`,
    });
  const port = await deps.findFreePort();
  if (options.signal.aborted) return { kind: "aborted", run: undefined };

  let argv: string[];
  const slotDir = slotSaveDir(options.mallexHome);
  try {
    argv = buildServerArgv(spec.command, { port, model: spec.model, host: "127.0.0.1", venv, draftModel: spec.draftModel, mallex: mallexArgv(), slotDir });
    // llama-server refuses a --slot-save-path that is not a folder yet.
    if (argv.includes(slotDir)) await makePrivateDirAsync(slotDir);
  } catch (error) {
    return {
      kind: "failed",
      run: undefined,
      error: new SupervisorError("E_SERVER_START", `The server command of ${spec.key} cannot be run: ${(error as Error).message}.`),
    };
  }
  if (options.contextSize !== undefined) argv = withContextSize(argv, options.contextSize);
  if (options.gpuSteps) argv = withGpuSteps(argv, options.gpuSteps, spec.plannedContext === true);
  const command = formatArgv(argv);
  const reach = spec.reachHost ?? "127.0.0.1";
  const baseUrl = `http://${reach.includes(":") ? `[${reach}]` : reach}:${port}/v1`;
  const env: Record<string, string> = { PYTHONUNBUFFERED: "1", ...spec.env };
  if (venv) Object.assign(env, { VIRTUAL_ENV: venv, PATH: `${venv}/bin:${deps.env.PATH ?? ""}` });
  const blas =
    spec.flavor === "mlx-lm"
      ? planOpenBlasPreload({ platform: deps.platform, arch: deps.arch, exists: deps.exists, ldPreload: env.LD_PRELOAD ?? deps.env.LD_PRELOAD })
      : undefined;
  if (blas?.kind === "preload") env.LD_PRELOAD = blas.ldPreload;

  emit({ type: "starting", port, command });
  note(`starting: ${command}`);
  if (blas) {
    // Said at every start, in the terminal and in server.log: a missing OpenBLAS is the difference between seconds and minutes.
    emit({ type: "progress", message: `${spec.key}: ${blas.message}` });
    note(blas.message);
  }
  const started = deps.now();
  let lastSaid = started;
  const progress = createProgressFilter(spec.model);
  const context = contextSizeOf(argv);
  const onLine = (run: Run, line: string) => {
    const classified = classifyServerLine(line);
    if (!classified) return;
    if (classified.kind === "gpu-failure") {
      // An engine on the CPU has no GPU to fail: such a line is one of the backends it passed over.
      if (run.backend?.gpu === false) return;
      if (classified.failure.rank > (run.gpuFailure?.rank ?? 0)) run.gpuFailure = classified.failure;
      return;
    }
    if (classified.kind === "engine-backend") {
      run.backend = classified.backend;
      if (classified.backend.gpu === false) run.gpuFailure = undefined;
      // After a fallback the user sees where it landed; a first start's backend is in the engine's own line.
      if (options.gpuSteps)
        emit({
          type: "progress",
          message: `${spec.key} starts on ${describeGpuStep(classified.backend.gpu === false ? { gpu: false } : { gpu: classified.backend.gpu, localOnly: classified.backend.localBuild })}`,
        });
      return;
    }
    if (classified.kind === "out-of-memory") {
      if (run.oom) return;
      run.oom = true;
      const half = context !== undefined ? Math.floor(context / 2) : undefined;
      if (half !== undefined && half >= options.minContextSize) run.smallerContext = half;
      emit({
        type: "out-of-memory",
        message: outOfMemorySentence(
          spec.model,
          run.smallerContext !== undefined && context !== undefined ? { from: context, to: run.smallerContext } : undefined,
        ),
      });
      return;
    }
    const said = progress(classified);
    if (!said || run.ready) return;
    lastSaid = deps.now();
    emit({ type: "progress", ...said });
  };
  // Output arrives in later events, by when `run` is set.
  let run: Run | undefined = undefined;
  const reasonWait = createReasonWait(deps);
  const server = launchServer({
    argv,
    env,
    execa: deps.execa,
    log,
    onLine: (line) => {
      if (run) onLine(run, line);
      reasonWait.onLine(line);
    },
    armDeathWatch: deps.armDeathWatch,
    graceMs: options.stopTimeoutMs,
  });
  run = {
    server,
    port,
    baseUrl,
    argv,
    ready: false,
    expected: false,
    wedged: false,
    oom: false,
    smallerContext: undefined,
    gpuFailure: undefined,
    backend: undefined,
    gpuSteps: options.gpuSteps,
    leases: new Set(),
    wedgeTimer: undefined,
  };

  const pid = run.server.pid;
  if (pid === undefined) {
    const info = await run.server.exited;
    const program = argv[0]!;
    const hint = venv ? `the venv ${venv} lacks it: delete that folder and mallex reinstalls it` : `is \`${program}\` installed and on PATH?`;
    note(`could not start: ${info.spawnError}`);
    return {
      kind: "exited",
      run: undefined,
      info,
      smallerContext: undefined,
      error: new SupervisorError("E_SERVER_START", `The model server ${spec.key} could not be started (${info.spawnError}): ${hint}`),
    };
  }
  options.onStarted(run);
  writePidfile(options.mallexHome, {
    key: spec.key,
    pid,
    port,
    baseUrl,
    command,
    argv,
    model: spec.model,
    startedAt: new Date(started).toISOString(),
    ...ownerIdentity(deps.mallexPid, deps.inspector),
    processGroup: true,
  });

  const heartbeat = () => {
    const now = deps.now();
    if (now - lastSaid >= options.heartbeatMs) {
      lastSaid = now;
      emit({ type: "progress", message: `still starting: loading ${spec.model} (${Math.round((now - started) / 1000)} s so far)` });
    }
    timer = deps.setTimeout(heartbeat, options.heartbeatMs);
  };
  let timer = deps.setTimeout(heartbeat, options.heartbeatMs);
  const probeAbort = new AbortController();
  const onAbort = () => probeAbort.abort();
  options.signal.addEventListener("abort", onAbort, { once: true });
  const result = await Promise.race([
    probeReadiness({
      baseUrl,
      probe: spec.readiness.probe,
      timeoutMs: spec.readiness.timeoutMs,
      signal: probeAbort.signal,
      request: deps.request,
      now: deps.now,
      ...(spec.probeHeaders ? { headers: spec.probeHeaders } : {}),
    }),
    run.server.exited,
  ]);
  deps.clearTimeout(timer);
  probeAbort.abort();
  options.signal.removeEventListener("abort", onAbort);

  if (options.signal.aborted) return { kind: "aborted", run };
  if ("ok" in result && result.ok) {
    run.ready = true;
    note(`ready at ${baseUrl} (pid ${pid})`);
    return { kind: "ready", run, ms: deps.now() - started };
  }
  if ("ok" in result) {
    // Not ready in time, or the server refused the test request: it is no use running.
    run.expected = true;
    // mlx-lm.server loads its model in a thread and then answers every request "generation thread
    // died": the reason is only in its output, which may not be there yet (wait-for-reason.ts).
    if (result.reason === "rejected")
      await reasonWait.until(run.server.tail(REASON_LINES), {
        saysWhy: (line) => lastErrorLine([line]) !== undefined,
        exited: run.server.exited,
        waitMs: REASON_WAIT_MS,
        quietMs: REASON_QUIET_MS,
      });
    await run.server.stop(options.stopTimeoutMs);
    // Read once it is stopped and its output drained (bounded: a stray grandchild may hold the
    // pipe): what it printed about the refusal may still have been in the pipe when it was stopped.
    await Promise.race([run.server.exited, new Promise<void>((resolve) => deps.setTimeout(resolve, DRAIN_WAIT_MS))]);
    const tail = run.server.tail(15);
    note(`not ready: ${result.message}`);
    const advice =
      result.reason === "timeout"
        ? "If the model is still downloading, raise readiness timeout_s in mallex.yaml and try again."
        : "Check the model id and the server's flags.";
    const said = result.reason === "rejected" ? lastErrorLine(run.server.tail(REASON_LINES)) : undefined;
    const why = said === undefined || result.message.includes(said) ? result.message : `${result.message} (its output: ${said})`;
    return {
      kind: "failed",
      run,
      error: new SupervisorError("E_SERVER_START", `The model server ${spec.key} did not become ready: ${why}. ${advice} Its log: ${log.file}`, {
        details: tail,
      }),
    };
  }
  const tail = run.server.tail(15);
  note(`exited while starting (${describeExit(result)})`);
  if (run.gpuFailure && !run.oom) {
    const next = nextGpuSteps(argv, options.gpuSteps, run.gpuFailure, run.backend);
    const sentence = gpuFailureSentence(spec.key, run.gpuFailure, next, run.backend, engineCommand(options.mallexHome));
    note(sentence);
    return {
      kind: "exited",
      run,
      info: result,
      smallerContext: undefined,
      ...(next ? { gpuFallback: next } : {}),
      error: new SupervisorError("E_SERVER_START", `${sentence} Its log: ${log.file} (\`mallex server logs\`).`, { details: tail }),
    };
  }
  // mallex's engine cannot have its model (offline, not on the Hub): its own two lines say what and what to do.
  const ownWords = result.code === MODEL_SOURCE_EXIT_CODE ? readModelSourceFailure(tail) : undefined;
  if (ownWords !== undefined)
    return {
      kind: "exited",
      run,
      info: result,
      smallerContext: undefined,
      error: new SupervisorError("E_SERVER_START", ownWords.join("\n"), { details: tail, needsUser: true }),
    };
  const why = run.oom
    ? outOfMemorySentence(spec.model)
    : `The model server ${spec.key} exited while starting (${describeExit(result)}): ${lastMeaningfulLine(tail) ?? "it printed nothing"}.`;
  return {
    kind: "exited",
    run,
    info: result,
    smallerContext: run.smallerContext,
    error: new SupervisorError("E_SERVER_START", `${why} Its log: ${log.file} (\`mallex server logs\`).`, { details: tail }),
  };
}
