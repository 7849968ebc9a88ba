import type { ChildProcess } from "node:child_process";

export interface GroupLimit {
  /** Whether the time limit ended it. */
  readonly timedOut: boolean;
  /** Clears the timers (call once the process is done). */
  dispose(): void;
}

/**
 * Holds a process started with `detached: true` (a process group of its own) to a time limit: at the
 * limit, or when `signal` aborts, the whole group gets SIGTERM, then SIGKILL `graceMs` later. Once the
 * process itself exits, whatever it left in its group is killed too: a checker's or a tool's
 * background process never outlives the task, nor holds the pipe its output is read from open.
 */
export function limitProcessGroup(child: ChildProcess, options: { timeoutMs: number; graceMs: number; signal?: AbortSignal | undefined }): GroupLimit {
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // the group is gone already
    }
  };
  let timedOut = false;
  let forceKill: NodeJS.Timeout | undefined;
  const stop = () => {
    if (forceKill !== undefined) return;
    killGroup("SIGTERM");
    forceKill = setTimeout(() => killGroup("SIGKILL"), options.graceMs);
  };
  const limit = setTimeout(() => {
    timedOut = true;
    stop();
  }, options.timeoutMs);
  const onAbort = () => stop();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  child.once("exit", () => killGroup("SIGKILL"));
  return {
    get timedOut() {
      return timedOut;
    },
    dispose() {
      clearTimeout(limit);
      clearTimeout(forceKill);
      options.signal?.removeEventListener("abort", onAbort);
    },
  };
}
