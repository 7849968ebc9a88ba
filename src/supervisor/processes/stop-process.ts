/**
 * Stop a process by PID the polite way: SIGTERM, wait for it to exit, SIGKILL when it does not in
 * time. With `group`, the whole process group (the supervised server is started as a group leader,
 * so a wrapper script's children go too).
 */
import { systemProcessInspector, type ProcessInspector } from "./process-identity.js";

export type StopOutcome = "not-running" | "terminated" | "killed";

export interface StopProcessOptions {
  /** How long SIGTERM gets before SIGKILL (default 5 s). */
  timeoutMs?: number;
  /** Signal the process group -pid (falls back to the pid alone when there is no such group). */
  group?: boolean;
  /** For our own child: settles when it has exited (more exact than polling the PID). */
  exited?: Promise<unknown>;
  deps?: Partial<StopProcessDeps>;
}

export interface StopProcessDeps {
  kill(pid: number, signal: NodeJS.Signals): void;
  inspector: ProcessInspector;
  sleep(ms: number): Promise<void>;
  now(): number;
}

const defaultDeps: StopProcessDeps = {
  kill: (pid, signal) => process.kill(pid, signal),
  inspector: systemProcessInspector,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: Date.now,
};

export async function stopProcess(pid: number, options: StopProcessOptions = {}): Promise<StopOutcome> {
  const deps = { ...defaultDeps, ...options.deps };
  const timeoutMs = options.timeoutMs ?? 5000;
  let exited = false;
  void options.exited?.then(() => (exited = true));
  const gone = () => exited || !deps.inspector.isAlive(pid);
  if (gone()) return "not-running";
  if (!signal(pid, "SIGTERM", options.group ?? false, deps)) return "not-running";
  if (await waitUntil(gone, timeoutMs, deps)) return "terminated";
  signal(pid, "SIGKILL", options.group ?? false, deps);
  await waitUntil(gone, 2000, deps);
  return "killed";
}

/** Synchronous SIGKILL, for process 'exit' handlers where nothing can be awaited. */
export function killNow(pid: number, group: boolean, kill: StopProcessDeps["kill"] = defaultDeps.kill): void {
  signal(pid, "SIGKILL", group, { kill });
}

/** Sends the signal; false when neither the group nor the process exists. */
function signal(pid: number, name: NodeJS.Signals, group: boolean, deps: Pick<StopProcessDeps, "kill">): boolean {
  if (group) {
    try {
      deps.kill(-pid, name);
      return true;
    } catch {
      // no such group: fall back to the pid
    }
  }
  try {
    deps.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(done: () => boolean, timeoutMs: number, deps: Pick<StopProcessDeps, "sleep" | "now">): Promise<boolean> {
  const deadline = deps.now() + timeoutMs;
  while (!done()) {
    if (deps.now() >= deadline) return false;
    await deps.sleep(Math.min(25, Math.max(1, deadline - deps.now())));
  }
  return true;
}
