/**
 * The model-server supervisor: one server process per spec, behind explicit states.
 *
 *   stopped ──ensureReady──▶ starting ──1-token generation answered──▶ ready
 *   ready ──crash / wedge──▶ starting (after a backoff; `failed` once maxRestarts are spent)
 *   ready ──idle for idleUnloadMs──▶ stopping ──▶ stopped (`unloaded`; the next ensureReady starts it)
 *   any ──stop()──▶ stopping ──SIGTERM, wait, SIGKILL──▶ stopped
 *   failed ──ensureReady──▶ starting (a fresh try with a fresh restart budget)
 *   ready ──keep()──▶ stopped (the server runs on, `kept` in its pidfile, for the next mallex)
 *   stopped ──ensureReady, a kept server of the same spec answers──▶ ready (adopted, `reused`)
 *
 * Keeping (on_exit: keep): keep() lets go of a ready server without stopping it — its pidfile says
 * `kept` with no owner, its output goes on into server.log through a detached sink, nothing refers
 * to it any more (stop(), killNow() and so stopAllOnExit leave it alone). A fresh start (first use,
 * after an unload or a failure; not a crash restart) first looks for such a server (adopt-kept.ts):
 * same key, model and command, alive and answering the readiness probe; it is adopted as it is,
 * else stopped. An adopted server is watched by polling its pid (every adoptedPollMs): its death is
 * a crash, restarted as usual; idle unload, wedge watch, stop() and keep() apply as to any other.
 *
 * @example
 * const supervisor = createSupervisor(spec, { mallexHome, onEvent: (e) => print(format(e)) });
 * const baseUrl = await supervisor.ensureReady(request.signal);
 * const lease = supervisor.beginRequest();
 * // … lease.progress() on every upstream byte, lease.end() when done …
 * await supervisor.stop();
 */
import { settledWithin } from "../shared/settled-within.js";
import { adoptKeptServer } from "./adopt-kept.js";
import { launchRun, type Run, type RunLease } from "./launch-run.js";
import { watchForWedge } from "./watch-for-wedge.js";
import { pidfilePath, readPidfile, removePidfile, writePidfile } from "./processes/pidfile.js";
import { createRestartPolicy, type RestartPolicy } from "./restart-policy.js";
import { engineCommand, gpuFailureSentence, nextGpuSteps } from "./gpu-fallback.js";
import type { GpuStep } from "../shared/gpu-steps.js";
import { openServerLog, serverLogPath, type ServerLog, type ServerLogOptions } from "./server-log.js";
import { describeExit, formatDuration, lastMeaningfulLine } from "./supervisor-messages.js";
import { SupervisorError } from "./supervisor-error.js";
import { defaultSupervisorDeps, sleep, unref, type SupervisorDeps } from "./supervisor-deps.js";
import { raceAbort } from "../shared/race-abort.js";
import type { KeptServer, RequestLease, ServerSupervisor, SupervisedServerSpec, SupervisorEvent, SupervisorState } from "./types.js";

export interface SupervisorOptions {
  mallexHome: string;
  onEvent(event: SupervisorEvent): void;
  /** Backoff between restarts: base, doubling, capped (default 1 s → 30 s). */
  restartDelayMs?: { base: number; max: number };
  /** How long stop() waits after SIGTERM before SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
  /**
   * A ready server about to be stopped (stop(), an idle unload) keeps what it holds first: its
   * prompt cache saved to a file (keep-last-conversation.ts). Given up to beforeStopTimeoutMs; its
   * failure stops nothing.
   */
  beforeStop?(baseUrl: string): Promise<void>;
  /** The most beforeStop may take (default 10 s). */
  beforeStopTimeoutMs?: number;
  /** While starting with nothing new to say, a progress line at this interval (default 10 s). */
  heartbeatMs?: number;
  /** The out-of-memory retry halves `-c`/`--ctx-size` down to this (default 2048). */
  minContextSize?: number;
  /** How often the pid of an adopted server (kept by an earlier session) is checked for its death (default 1 s). */
  adoptedPollMs?: number;
  log?: ServerLogOptions;
  deps?: Partial<SupervisorDeps>;
}

export function createSupervisor(spec: SupervisedServerSpec, options: SupervisorOptions): ServerSupervisor {
  return new Supervisor(spec, options);
}

interface Lease extends RunLease {
  run: Run | undefined;
}

class Supervisor implements ServerSupervisor {
  private _state: SupervisorState = "stopped";
  private _run: Run | undefined;
  private _starting: Promise<string> | undefined;
  private _startAbort: AbortController | undefined;
  private _stopping: Promise<void> | undefined;
  private _idleTimer: unknown;
  private _contextSize: number | undefined;
  /** Its GPU backend could not run: every later start tries these backends (gpu-fallback.ts). */
  private _gpuSteps: GpuStep[] | undefined;
  private readonly _leases = new Set<Lease>();
  private readonly _policy: RestartPolicy;
  private readonly _log: ServerLog;
  private readonly _deps: SupervisorDeps;

  constructor(
    readonly spec: SupervisedServerSpec,
    private readonly _options: SupervisorOptions,
  ) {
    this._deps = { ...defaultSupervisorDeps(), ..._options.deps };
    const delay = _options.restartDelayMs ?? { base: 1000, max: 30_000 };
    this._policy = createRestartPolicy({
      maxRestarts: spec.maxRestarts,
      windowMs: spec.restartWindowMs,
      baseDelayMs: delay.base,
      maxDelayMs: delay.max,
      now: this._deps.now,
    });
    this._log = openServerLog(serverLogPath(_options.mallexHome), _options.log);
  }

  get state(): SupervisorState {
    return this._state;
  }

  get pid(): number | undefined {
    return this._run?.server.pid;
  }

  get baseUrl(): string | undefined {
    return this._state === "ready" && this._run?.wedged !== true ? this._run?.baseUrl : undefined;
  }

  async ensureReady(signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    while (this._stopping) await this._stopping;
    // A wedged run is being stopped: its port refuses from now on (a busy engine takes seconds to
    // exit), and its restart begins once it has exited.
    const doomed = this._run?.wedged ? this._run : undefined;
    if (doomed) await (signal ? raceAbort(doomed.server.exited, signal) : doomed.server.exited);
    if (this._state === "ready" && this._run && !this._run.wedged) {
      this._armIdle();
      return this._run.baseUrl;
    }
    const starting = this._starting ?? this._begin(undefined);
    return signal ? raceAbort(starting, signal) : starting;
  }

  async exitedSince(baseUrl: string, timeoutMs = 2000): Promise<boolean> {
    const run = this._run;
    if (run === undefined || run.baseUrl !== baseUrl) return true;
    // `exited`'s own handler (_onExit) was attached first, so it has run when this one does.
    return (
      (await settledWithin(
        run.server.exited.then(() => true),
        timeoutMs,
      )) ?? false
    );
  }

  beginRequest(options: { watch?: boolean } = {}): RequestLease {
    const run = this._state === "ready" ? this._run : undefined;
    const lease: Lease = { lastProgress: this._deps.now(), controller: new AbortController(), watched: options.watch ?? true, run };
    this._leases.add(lease);
    run?.leases.add(lease);
    this._clearIdle();
    if (run && lease.watched) this._watchWedge(run);
    let ended = false;
    return {
      signal: lease.controller.signal,
      progress: () => void (lease.lastProgress = this._deps.now()),
      end: () => {
        if (ended) return;
        ended = true;
        this._leases.delete(lease);
        run?.leases.delete(lease);
        if (this._leases.size === 0) this._armIdle();
      },
    };
  }

  stop(): Promise<void> {
    return this._shutdown({ type: "stopped" });
  }

  killNow(): void {
    const run = this._run;
    if (!run) return;
    run.expected = true;
    run.server.killNow();
    if (run.server.pid !== undefined) removePidfile(this._options.mallexHome, this.spec.key, run.server.pid);
  }

  keep(): KeptServer | undefined {
    const run = this._run;
    const pid = run?.server.pid;
    if (!run || pid === undefined || this._state !== "ready" || this._stopping || this._starting) return undefined;
    const record = readPidfile(pidfilePath(this._options.mallexHome, this.spec.key, pid));
    if (record?.pid !== pid) return undefined; // stopped from outside (`mallex server stop`) a moment ago
    this._clearIdle();
    run.expected = true;
    const { mallexStartTime: _owner, ...unowned } = record;
    writePidfile(this._options.mallexHome, { ...unowned, mallexPid: 0, kept: true });
    run.server.release({ file: this._log.file, maxBytes: this._options.log?.maxBytes, keep: this._options.log?.keep });
    this._forget(run, { keepPidfile: true });
    this._state = "stopped";
    this._note(`kept running after the session (pid ${pid}, ${run.baseUrl}): the next mallex reuses it; \`mallex server stop\` stops it`);
    return { key: this.spec.key, pid, baseUrl: run.baseUrl };
  }

  // ── starting ──────────────────────────────────────────────────────────────────────────────

  /** One shared start (first use, lazy restart after unload, or a restart after a crash). */
  private _begin(restart: { attempt: number; delayMs: number } | undefined): Promise<string> {
    const abort = new AbortController();
    this._startAbort = abort;
    const starting = this._startLoop(restart, abort.signal).finally(() => {
      if (this._starting === starting) this._starting = undefined;
    });
    this._starting = starting;
    starting.catch(() => {}); // a background restart may have no caller; its failure is an event
    return starting;
  }

  private async _startLoop(restart: { attempt: number; delayMs: number } | undefined, signal: AbortSignal): Promise<string> {
    this._state = "starting";
    if (!restart) this._policy.reset();
    try {
      if (!restart) {
        const reused = await this._adopt(signal);
        if (reused !== undefined) return reused;
      }
      let pending = restart;
      for (;;) {
        if (pending) {
          this._emit({ type: "restarting", attempt: pending.attempt, delayMs: pending.delayMs });
          await sleep(pending.delayMs, signal, this._deps);
        }
        if (signal.aborted) throw stoppedError(this.spec.key);
        const outcome = await launchRun({
          spec: this.spec,
          mallexHome: this._options.mallexHome,
          contextSize: this._contextSize,
          ...(this._gpuSteps ? { gpuSteps: this._gpuSteps } : {}),
          minContextSize: this._options.minContextSize ?? 2048,
          heartbeatMs: this._options.heartbeatMs ?? 10_000,
          stopTimeoutMs: this._options.stopTimeoutMs ?? 10_000,
          signal,
          log: this._log,
          deps: this._deps,
          emit: (event) => this._emit(event),
          onStarted: (run) => {
            this._run = run;
            void run.server.exited.then((info) => this._onExit(run, info));
          },
        });
        if (signal.aborted || outcome.kind === "aborted") throw stoppedError(this.spec.key);
        if (outcome.kind === "ready") {
          this._state = "ready";
          this._emit({ type: "ready", baseUrl: outcome.run.baseUrl, ms: outcome.ms });
          this._armIdle();
          return outcome.run.baseUrl;
        }
        this._forget(outcome.run);
        if (outcome.kind === "exited" && outcome.gpuFallback) {
          // Not a crash to retry as it was: the same start would fail the same way.
          this._gpuSteps = outcome.gpuFallback;
          this._emit({ type: "crashed", message: outcome.error.message, code: outcome.info.code, signal: outcome.info.signal });
          pending = { attempt: (pending?.attempt ?? 0) + 1, delayMs: 0 };
          continue;
        }
        if (outcome.kind === "exited" && outcome.smallerContext !== undefined) {
          this._contextSize = outcome.smallerContext;
          pending = { attempt: (pending?.attempt ?? 0) + 1, delayMs: 0 };
          continue;
        }
        // A restart that dies before it is ready is one more crash; a first start fails at once.
        const next = outcome.kind === "exited" && restart && !outcome.error.needsUser ? this._policy.next() : undefined;
        if (next && outcome.kind === "exited") {
          const why = lastMeaningfulLine(outcome.run?.server.tail(15) ?? []) ?? describeExit(outcome.info);
          this._emit({ type: "crashed", message: `while starting: ${why}`, code: outcome.info.code, signal: outcome.info.signal });
          pending = next;
          continue;
        }
        throw outcome.error;
      }
    } catch (error) {
      if (signal.aborted) throw stoppedError(this.spec.key);
      const failure = SupervisorError.isInstance(error)
        ? error
        : new SupervisorError("E_SERVER_START", `The model server ${this.spec.key} could not be started: ${(error as Error).message}`, { cause: error });
      this._state = "failed";
      this._emit({ type: "failed", message: failure.message, ...(failure.needsUser ? { needsUser: true as const } : {}) });
      failure.announced = true;
      throw failure;
    }
  }

  /** A kept server of this spec, adopted: its base URL; undefined when a fresh one must start. */
  private async _adopt(signal: AbortSignal): Promise<string | undefined> {
    const started = this._deps.now();
    const adopted = await adoptKeptServer({
      spec: this.spec,
      mallexHome: this._options.mallexHome,
      contextSize: this._contextSize,
      stopTimeoutMs: this._options.stopTimeoutMs ?? 10_000,
      pollMs: this._options.adoptedPollMs ?? 1000,
      signal,
      deps: this._deps,
      emit: (event) => this._emit(event),
      note: (text) => this._note(text),
    });
    if (!adopted) return undefined;
    const { run } = adopted;
    this._run = run;
    void run.server.exited.then((info) => this._onExit(run, info));
    if (adopted.contextSize !== undefined) this._contextSize = adopted.contextSize;
    if (signal.aborted) throw stoppedError(this.spec.key); // _shutdown stops it
    this._note(`reusing the server kept by an earlier session (pid ${run.server.pid}) at ${run.baseUrl}`);
    this._emit({ type: "progress", message: `reusing the server kept running by an earlier session (pid ${run.server.pid})` });
    this._state = "ready";
    this._emit({ type: "ready", baseUrl: run.baseUrl, ms: this._deps.now() - started, reused: true });
    this._armIdle();
    return run.baseUrl;
  }

  // ── while it runs ─────────────────────────────────────────────────────────────────────────

  /** An exit nobody asked for, after the server was ready: crash, wedge kill, or `mallex server stop`. */
  private _onExit(run: Run, info: { code: number | null; signal: string | null }): void {
    if (run.expected || !run.ready || this._run !== run) return;
    const pid = run.server.pid;
    const external = pid !== undefined && readPidfile(pidfilePath(this._options.mallexHome, this.spec.key, pid))?.pid !== pid;
    this._forget(run);
    if (external) {
      this._state = "stopped";
      this._emit({ type: "unloaded", reason: "stopped by `mallex server stop`" });
      return;
    }
    if (run.gpuFailure && !run.oom && !run.wedged) {
      const next = nextGpuSteps(run.argv, run.gpuSteps, run.gpuFailure, run.backend);
      if (next) this._gpuSteps = next;
      const sentence = gpuFailureSentence(this.spec.key, run.gpuFailure, next, run.backend, engineCommand(this._options.mallexHome));
      this._note(sentence);
      this._emit({ type: "crashed", message: sentence, code: info.code, signal: info.signal });
    } else if (!run.wedged) {
      const why = run.oom ? "it ran out of GPU memory" : (lastMeaningfulLine(run.server.tail(15)) ?? describeExit(info));
      this._emit({ type: "crashed", message: why, code: info.code, signal: info.signal });
    }
    if (run.smallerContext !== undefined) this._contextSize = run.smallerContext;
    const next = this._policy.next();
    if (next) {
      this._begin(next);
      return;
    }
    this._state = "failed";
    const message = `The model server ${this.spec.key} ${run.wedged ? "stopped producing tokens" : "crashed"} ${this.spec.maxRestarts + 1} times within ${formatDuration(this.spec.restartWindowMs)}; mallex stopped restarting it. Its log: ${this._log.file} (\`mallex server logs\`). The next request tries once more.`;
    this._emit({ type: "failed", message });
  }

  private _watchWedge(run: Run): void {
    watchForWedge(run, { timeoutMs: this.spec.wedgeTimeoutMs, deps: this._deps, isCurrent: () => this._run === run, onWedged: () => this._wedge(run) });
  }

  private _wedge(run: Run): void {
    run.wedged = true;
    const message = `a request got no token for ${formatDuration(this.spec.wedgeTimeoutMs)}; mallex restarts the server (pid ${run.server.pid})`;
    this._log.write(`[mallex] ${new Date(this._deps.now()).toISOString()} ${this.spec.key} wedged: ${message}`);
    this._emit({ type: "wedged", message });
    for (const lease of run.leases)
      lease.controller.abort(new SupervisorError("E_SERVER_FAILED", `The model server ${this.spec.key} stopped producing tokens; mallex is restarting it.`));
    void run.server.stop(Math.min(2000, this._options.stopTimeoutMs ?? 2000));
  }

  private _armIdle(): void {
    this._clearIdle();
    if (this.spec.idleUnloadMs <= 0 || this._state !== "ready" || this._leases.size > 0) return;
    this._idleTimer = unref(
      this._deps.setTimeout(() => {
        this._idleTimer = undefined;
        if (this._state === "ready" && this._leases.size === 0)
          void this._shutdown({ type: "unloaded", reason: `idle for ${formatDuration(this.spec.idleUnloadMs)}` });
      }, this.spec.idleUnloadMs),
    );
  }

  private _clearIdle(): void {
    if (this._idleTimer !== undefined) this._deps.clearTimeout(this._idleTimer);
    this._idleTimer = undefined;
  }

  // ── stopping ──────────────────────────────────────────────────────────────────────────────

  private _shutdown(final: SupervisorEvent): Promise<void> {
    if (this._stopping) return this._stopping;
    if (this._state === "stopped" && !this._run && !this._starting) return Promise.resolve();
    const stopping = (async () => {
      const ready = this._state === "ready" ? this._run : undefined;
      this._state = "stopping";
      this._clearIdle();
      this._startAbort?.abort();
      await this._starting?.catch(() => {});
      if (ready !== undefined && !ready.wedged && this._options.beforeStop !== undefined) await this._beforeStop(ready.baseUrl, this._options.beforeStop);
      const run = this._run;
      if (run) {
        run.expected = true;
        await run.server.stop(this._options.stopTimeoutMs ?? 10_000);
        this._forget(run);
      }
      this._state = "stopped";
      this._emit(final);
    })().finally(() => {
      this._stopping = undefined;
    });
    this._stopping = stopping;
    return stopping;
  }

  private async _beforeStop(baseUrl: string, beforeStop: (baseUrl: string) => Promise<void>): Promise<void> {
    const limitMs = this._options.beforeStopTimeoutMs ?? 10_000;
    let timer: unknown;
    const late = new Promise<"late">((resolve) => {
      timer = unref(this._deps.setTimeout(() => resolve("late"), limitMs));
    });
    const kept = beforeStop(baseUrl).then(
      () => "done" as const,
      () => "done" as const,
    );
    if ((await Promise.race([kept, late])) === "late") this._note(`its prompt cache not kept within ${formatDuration(limitMs)}: stopped without it`);
    this._deps.clearTimeout(timer);
  }

  /** The run is over for this supervisor: its leases fail, its timers stop, its pidfile goes (unless it is kept). */
  private _forget(run: Run | undefined, options: { keepPidfile?: boolean } = {}): void {
    if (!run) return;
    if (run.wedgeTimer !== undefined) this._deps.clearTimeout(run.wedgeTimer);
    run.wedgeTimer = undefined;
    for (const lease of run.leases)
      if (!lease.controller.signal.aborted)
        lease.controller.abort(new SupervisorError("E_SERVER_STOPPED", `The model server ${this.spec.key} is no longer running.`));
    if (run.server.pid !== undefined && !options.keepPidfile) removePidfile(this._options.mallexHome, this.spec.key, run.server.pid);
    if (this._run === run) this._run = undefined;
  }

  private _note(text: string): void {
    this._log.write(`[mallex] ${new Date(this._deps.now()).toISOString()} ${this.spec.key} ${text}`);
  }

  private _emit(event: SupervisorEvent): void {
    this._options.onEvent(event);
  }
}

const stoppedError = (key: string) => new SupervisorError("E_SERVER_STOPPED", `The model server ${key} was stopped while starting.`);

export type { SupervisorDeps };
