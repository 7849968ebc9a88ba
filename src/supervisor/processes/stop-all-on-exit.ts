/**
 * Never leave an orphan server: when mallex gets SIGINT/SIGTERM/SIGHUP, stop every supervised
 * server (SIGTERM → wait → SIGKILL), then let the signal do what it would have done; a second
 * signal, or the process exiting while they stop, SIGKILLs them at once. Returns a disposer.
 *
 * A server kept with supervisor.keep() (on_exit: keep, on a normal end of `mallex run` only) is no
 * longer any supervisor's, so neither a signal nor the 'exit' handler touches it; a signal that
 * arrives before it was kept stops it like any other.
 *
 * @example
 * const dispose = stopAllOnExit(() => pool.all());
 * // … serve …
 * dispose();
 */
import type { ServerSupervisor } from "../types.js";

/** The part of `process` this needs (injectable: house rule 8). */
export interface ExitHandlingProcess {
  readonly pid: number;
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  listenerCount(event: string): number;
  kill(pid: number, signal: NodeJS.Signals): unknown;
}

export interface StopAllOnExitOptions {
  /** Default SIGINT, SIGTERM, SIGHUP. */
  signals?: readonly NodeJS.Signals[];
  /**
   * After the servers are stopped, raise the signal again so the process ends as it would have
   * (default true). Ignored while another listener for that signal remains: that code decides.
   */
  reraise?: boolean;
  /** Longest wait for a graceful stop before SIGKILL (default 15 s). */
  timeoutMs?: number;
  /** Called when a signal starts the shutdown (e.g. to print "stopping the model server…"). */
  onSignal?(signal: NodeJS.Signals): void;
  process?: ExitHandlingProcess;
}

export function stopAllOnExit(supervisors: Iterable<ServerSupervisor> | (() => Iterable<ServerSupervisor>), options: StopAllOnExitOptions = {}): () => void {
  const proc = options.process ?? process;
  const list = () => [...(typeof supervisors === "function" ? supervisors() : supervisors)];
  const signals = options.signals ?? ["SIGINT", "SIGTERM", "SIGHUP"];
  let stopping = false;
  let disposed = false;

  const killAll = () => {
    for (const supervisor of list()) supervisor.killNow();
  };
  const finish = (signal: NodeJS.Signals) => {
    dispose();
    if ((options.reraise ?? true) && proc.listenerCount(signal) === 0) proc.kill(proc.pid, signal);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      killAll();
      return finish(signal);
    }
    stopping = true;
    options.onSignal?.(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.timeoutMs ?? 15_000);
    });
    void Promise.race([Promise.allSettled(list().map((supervisor) => supervisor.stop())), timedOut]).then(() => {
      clearTimeout(timer);
      killAll(); // anything still running after the timeout
      if (!disposed) finish(signal);
    });
  };
  const onExit = () => killAll();

  for (const signal of signals) proc.on(signal, onSignal);
  proc.on("exit", onExit);
  function dispose() {
    if (disposed) return;
    disposed = true;
    for (const signal of signals) proc.off(signal, onSignal);
    proc.off("exit", onExit);
  }
  return dispose;
}
