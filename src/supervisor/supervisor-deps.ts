/** What the supervisor takes from the outside world, injectable for tests (house rule 8), and small async helpers. */
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { execa as defaultExeca } from "execa";
import { armDeathWatch, type ArmDeathWatch } from "./processes/arm-death-watch.js";
import { bootstrapVenv } from "./bootstrap-venv.js";
import { systemProcessInspector, type ProcessInspector } from "./processes/process-identity.js";
import { httpProbeRequest, type ProbeRequest } from "./probe-readiness.js";

export interface SupervisorDeps {
  execa: typeof defaultExeca;
  /** The readiness probe's HTTP request (default: node:http, no client timeout). */
  request: ProbeRequest;
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** A free TCP port on 127.0.0.1, asked again for every start. */
  findFreePort(): Promise<number>;
  bootstrapVenv: typeof bootstrapVenv;
  inspector: ProcessInspector;
  /** This mallex's pid, recorded in the pidfile. */
  mallexPid: number;
  /** Base environment of the server (PATH); execa adds process.env. */
  env: Readonly<Record<string, string | undefined>>;
  /** Stops a server when mallex dies without stopping it (SIGKILL): arm-death-watch.ts. */
  armDeathWatch: ArmDeathWatch;
  /** This machine, for what a server needs here (mlx-lm's pip extra, the OpenBLAS it preloads on Linux). */
  platform: NodeJS.Platform;
  arch: string;
  exists(path: string): boolean;
}

export function defaultSupervisorDeps(): SupervisorDeps {
  return {
    execa: defaultExeca,
    request: httpProbeRequest,
    now: Date.now,
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    findFreePort,
    bootstrapVenv,
    inspector: systemProcessInspector,
    mallexPid: process.pid,
    env: process.env,
    armDeathWatch: (target) => armDeathWatch(target),
    platform: process.platform,
    arch: process.arch,
    exists: existsSync,
  };
}

/** A free TCP port on 127.0.0.1 (asked again for every start). */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || address === null) throw new Error("no free port on 127.0.0.1");
  return address.port;
}

/** Resolves after ms, or at once when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal, deps: Pick<SupervisorDeps, "setTimeout" | "clearTimeout">): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = deps.setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      deps.clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** Timers of background checks must not keep mallex alive. */
export function unref<T>(handle: T): T {
  (handle as { unref?: () => void } | undefined)?.unref?.();
  return handle;
}
