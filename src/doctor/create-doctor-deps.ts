import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import type { EnvLookup } from "../config/interpolate-env.js";
import { resolveMallexHome } from "../mallex-home.js";
import { detectHardware } from "../setup/detect-hardware.js";
import { runCommand } from "../setup/run-command.js";
import { lookupPython } from "../supervisor/bootstrap-venv.js";
import { findClaude } from "../cli/find-claude.js";
import type { DoctorDeps } from "./types.js";

/** The real machine: the CLI passes its cwd, environment and package root. */
export function createDoctorDeps(options: { cwd: string; env: EnvLookup; packageRoot: string }): DoctorDeps {
  return {
    ...options,
    homedir: homedir(),
    mallexHome: resolveMallexHome(options.env),
    detectHardware: () => detectHardware(),
    run: runCommand,
    findPython: () => lookupPython(),
    findClaude: () => findClaude(options.env, options.packageRoot),
    fetch: globalThis.fetch,
    checkPort: listenOnce,
    exists: existsSync,
    fileSize: (path) => {
      const stats = statSync(path, { throwIfNoEntry: false });
      return stats?.isFile() ? stats.size : undefined;
    },
    readText: (path) => {
      try {
        return readFileSync(path, "utf8");
      } catch {
        return undefined;
      }
    },
    readdir: (path) => {
      try {
        return readdirSync(path);
      } catch {
        return [];
      }
    },
    now: () => performance.now(),
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
