import { discoverServerFacts } from "../backends/discover-server-facts.js";
import { nodeModelFiles } from "../supervisor/memory/model-sizes.js";
import { createServer } from "node:net";
import { homedir } from "node:os";
import type { EnvLookup } from "../config/interpolate-env.js";
import { resolveMallexHome } from "../shared/files/mallex-home.js";
import { detectHardware } from "../setup/detect-hardware.js";
import { runCommand } from "../setup/run-command.js";
import { lookupPython } from "../supervisor/bootstrap-venv.js";
import { findClaude } from "../setup/find-claude.js";
import { liveProxies } from "../supervisor/processes/proxy-records.js";
import type { DoctorDeps } from "./types.js";

/** The real machine: the CLI passes its cwd, environment and package root. */
export function createDoctorDeps(options: { cwd: string; env: EnvLookup; packageRoot: string }): DoctorDeps {
  const mallexHome = resolveMallexHome(options.env);
  return {
    ...options,
    homedir: homedir(),
    mallexHome,
    detectHardware: () => detectHardware(),
    run: runCommand,
    findPython: () => lookupPython(),
    findClaude: () => findClaude(options.env, options.packageRoot),
    fetch: globalThis.fetch,
    checkPort: listenOnce,
    ...nodeModelFiles,
    now: () => performance.now(),
    discoverFacts: discoverServerFacts,
    runningProxies: () => liveProxies(mallexHome).map(({ record }) => ({ url: record.url, pid: record.pid })),
  };
}

/** Listens on host:port and closes again: the only reliable way to know the proxy could bind it. */
export function listenOnce(host: string, port: number): Promise<true | string> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
