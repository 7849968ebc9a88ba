/**
 * A server kept running by an earlier `mallex run` (on_exit: keep) is waiting in its pidfile
 * (`kept: true`, no owner). The next supervisor for the same key adopts it instead of starting
 * another copy when it is the same server — same model, same argv (the recorded port filled in) —
 * its process is alive and identity-checked, and it answers the readiness probe. Otherwise it is
 * stopped (when alive) and its pidfile removed, so that two copies of a model never sit in memory,
 * and a fresh one starts.
 *
 * An adopted process is not mallex's child, so its exit cannot be awaited: `watchAdopted` polls its
 * pid (every `pollMs`) and settles `exited` once it is gone; the supervisor then handles it as a
 * crash (restarted per the restart policy) or, when the pidfile was removed first, as
 * `mallex server stop`. A request in flight when it dies fails on its own (the connection drops) and
 * the wedge watch still aborts one that gets no token. Its output goes on into server.log through the
 * sink the keeping mallex started (output-sink.ts), so mallex reads none of it: an out-of-memory
 * line of an adopted server is only in the log. Adopted, it is this mallex's again: a death watch
 * (arm-death-watch.ts) stops it should this mallex die without stopping or keeping it.
 */
import { renameSync, rmSync } from "node:fs";
import { resolveVenvDir } from "./bootstrap-venv.js";
import type { Run } from "./launch-run.js";
import type { ExitInfo, LaunchedServer } from "./launch-server.js";
import { livenessOf, ownerIdentity, pidfilesOf, readPidfile, removePidfileAt, writePidfile, type ServerPidfile } from "./processes/pidfile.js";
import { probeReadiness } from "./probe-readiness.js";
import { isSameProcess } from "./processes/process-identity.js";
import { mallexArgv } from "../shared/mallex-argv.js";
import { slotSaveDir } from "../shared/files/mallex-home.js";
import { buildServerArgv, contextSizeOf, withContextSize } from "./server-command.js";
import { killNow, stopProcess, type StopOutcome } from "./processes/stop-process.js";
import { unref, type SupervisorDeps } from "./supervisor-deps.js";
import type { SupervisedServerSpec, SupervisorEvent } from "./types.js";

/** Longest wait for a kept server's answer to the readiness probe (it is loaded: it answers fast or not at all). */
export const ADOPT_PROBE_TIMEOUT_MS = 30_000;

export interface AdoptOptions {
  spec: SupervisedServerSpec;
  mallexHome: string;
  /** The context size the supervisor would start with (after an out-of-memory retry), if any. */
  contextSize: number | undefined;
  stopTimeoutMs: number;
  /** How often an adopted server's pid is checked. */
  pollMs: number;
  signal: AbortSignal;
  deps: SupervisorDeps;
  emit(event: SupervisorEvent): void;
  /** A line for server.log. */
  note(text: string): void;
}

export interface Adopted {
  run: Run;
  record: ServerPidfile;
  /** The kept server runs with a smaller context than the spec's (an out-of-memory retry): restarts use it too. */
  contextSize: number | undefined;
}

/**
 * Adopts a kept server of `spec.key`, or clears the way for a fresh start; undefined when there is
 * none to adopt. Several can wait (two sessions on one MALLEX_HOME each kept theirs): the first that
 * answers is adopted, the ones met before it that cannot be are stopped, those after it stay kept.
 */
export async function adoptKeptServer(options: AdoptOptions): Promise<Adopted | undefined> {
  for (const { file, record } of pidfilesOf(options.mallexHome, options.spec.key)) {
    if (!record.kept) continue;
    if (options.signal.aborted) return undefined;
    const adopted = await adoptOne(file, record, options);
    if (adopted) return adopted;
  }
  return undefined;
}

async function adoptOne(file: string, record: ServerPidfile, options: AdoptOptions): Promise<Adopted | undefined> {
  const { spec, deps, signal } = options;
  const liveness = livenessOf(record, deps.inspector);
  if (liveness !== "alive") {
    removePidfileAt(file, record.pid);
    options.note(
      `the server kept by an earlier session (pid ${record.pid}) is ${liveness === "stale" ? "no longer running" : "gone (its pid belongs to another program now)"}; starting a fresh one`,
    );
    return undefined;
  }
  const drop = async (why: string): Promise<undefined> => {
    if (livenessOf(record, deps.inspector) === "alive")
      await stopProcess(record.pid, { group: record.processGroup, timeoutMs: options.stopTimeoutMs, deps: { inspector: deps.inspector } });
    removePidfileAt(file, record.pid);
    options.note(`stopped the server kept by an earlier session (pid ${record.pid}): ${why}`);
    options.emit({ type: "progress", message: `stopped ${spec.key} (pid ${record.pid}) kept running by an earlier session: ${why}; starting a fresh one` });
    return undefined;
  };

  const argv = matchingArgv(spec, record, options);
  if (!argv) return drop(`it runs ${record.model === spec.model ? "another command" : `another model (${record.model})`}`);
  const probe = await probeReadiness({
    baseUrl: record.baseUrl,
    probe: spec.readiness.probe,
    timeoutMs: Math.min(spec.readiness.timeoutMs, ADOPT_PROBE_TIMEOUT_MS),
    signal,
    request: deps.request,
    now: deps.now,
    // An engine kept by an earlier mallex holds that one's token: it refuses this probe (401), is
    // dropped and started fresh with this start's.
    ...(spec.probeHeaders ? { headers: spec.probeHeaders } : {}),
  });
  if (signal.aborted) return undefined; // still kept, for whoever comes next
  if (!probe.ok) return drop(`it did not answer the readiness probe (${probe.message})`);

  // Claim it: of two mallex starting at once, the one whose rename succeeds adopts it.
  const claim = `${file}.${deps.mallexPid}.adopting`;
  try {
    renameSync(file, claim);
  } catch {
    return undefined;
  }
  const claimed = readPidfile(claim);
  if (claimed?.pid !== record.pid || !claimed.kept) {
    try {
      renameSync(claim, file); // not the file read above: put it back
    } catch {
      // nothing to put back
    }
    return undefined;
  }
  const { kept: _kept, mallexStartTime: _previous, ...owned } = record;
  // Under this server's own name (a record an older mallex named `<key>.json` moves to it).
  writePidfile(options.mallexHome, { ...owned, ...ownerIdentity(deps.mallexPid, deps.inspector) });
  rmSync(claim, { force: true });

  const server = watchAdopted(record, { pollMs: options.pollMs, graceMs: options.stopTimeoutMs, deps });
  const run: Run = {
    server,
    port: record.port,
    baseUrl: record.baseUrl,
    argv: record.argv,
    ready: true,
    expected: false,
    wedged: false,
    oom: false,
    smallerContext: undefined,
    gpuFailure: undefined,
    backend: undefined,
    gpuSteps: undefined,
    leases: new Set(),
    wedgeTimer: undefined,
  };
  const recordedContext = contextSizeOf(record.argv);
  return { run, record, contextSize: recordedContext !== contextSizeOf(argv) ? recordedContext : undefined };
}

/**
 * The argv this spec would run on the kept server's port, when the kept server runs it (or the same
 * with a smaller context, kept after an out-of-memory retry); undefined when it runs something else.
 */
function matchingArgv(spec: SupervisedServerSpec, record: ServerPidfile, options: Pick<AdoptOptions, "mallexHome" | "contextSize">): string[] | undefined {
  if (record.model !== spec.model) return undefined;
  let argv: string[];
  try {
    const venv = spec.venv ? resolveVenvDir(options.mallexHome, spec.venv) : undefined;
    argv = buildServerArgv(spec.command, {
      port: record.port,
      model: spec.model,
      host: "127.0.0.1",
      venv,
      draftModel: spec.draftModel,
      mallex: mallexArgv(),
      slotDir: slotSaveDir(options.mallexHome),
    });
  } catch {
    return undefined;
  }
  if (options.contextSize !== undefined) argv = withContextSize(argv, options.contextSize);
  if (sameWords(argv, record.argv)) return argv;
  const recorded = contextSizeOf(record.argv);
  if (recorded !== undefined && contextSizeOf(argv) !== undefined && sameWords(withContextSize(argv, recorded), record.argv)) return argv;
  return undefined;
}

const sameWords = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((word, i) => word === b[i]);

/**
 * A LaunchedServer for a process mallex did not start: `exited` settles when polling finds the pid
 * gone (or once stop()/killNow() ended it); it is signalled only while it still is the recorded program.
 */
export function watchAdopted(
  record: ServerPidfile,
  options: {
    pollMs: number;
    graceMs?: number;
    deps: Pick<SupervisorDeps, "inspector" | "setTimeout" | "clearTimeout"> & Partial<Pick<SupervisorDeps, "armDeathWatch">>;
  },
): LaunchedServer {
  const { pid, processGroup: group, argv } = record;
  const { inspector, setTimeout, clearTimeout } = options.deps;
  const watch = options.deps.armDeathWatch?.({ pid, group, graceMs: options.graceMs ?? 10_000 });
  let settle!: (info: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((resolve) => (settle = resolve));
  let watching = true;
  let timer: unknown;
  const unwatch = () => {
    watching = false;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const gone = () => {
    if (!watching) return;
    unwatch();
    settle({ code: null, signal: null, adopted: true });
  };
  const poll = () => {
    timer = undefined;
    if (!watching) return;
    if (!inspector.isAlive(pid)) return gone();
    timer = unref(setTimeout(poll, options.pollMs));
  };
  timer = unref(setTimeout(poll, options.pollMs));
  return {
    pid,
    exited,
    tail: () => [],
    stop: async (timeoutMs): Promise<StopOutcome> => {
      const outcome = isSameProcess(pid, argv, inspector) ? await stopProcess(pid, { group, timeoutMs, deps: { inspector } }) : "not-running";
      gone();
      return outcome;
    },
    killNow: () => {
      if (isSameProcess(pid, argv, inspector)) killNow(pid, group);
      gone();
    },
    // Its output already goes to server.log through the first mallex's sink.
    release: () => {
      unwatch();
      watch?.disarm(); // kept again: it is meant to outlive mallex
    },
  };
}
