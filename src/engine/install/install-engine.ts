import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MallexError } from "../../shared/mallex-error.js";
import { freshSiblingDir, swapFolderIn } from "../../shared/files/write-folder-atomic.js";
import { formatBytes } from "../format-download-progress.js";
import { explainNpmFailure } from "./explain-npm-failure.js";
import { ENGINE_MARKER, engineDir, NODE_LLAMA_CPP_VERSION, type EngineMarker } from "../../shared/engine-location.js";
import type { RunNpm } from "./run-npm.js";
import { watchInstallProgress } from "./watch-install-progress.js";

export interface InstallEngineOptions {
  mallexHome: string;
  /** The prebuilt packages to install with node-llama-cpp (prebuiltPackages' names). */
  packages: readonly string[];
  /** What is installed, for people: "node-llama-cpp 3.21.1 for the CPU and CUDA". */
  label: string;
  print(line: string): void;
  signal?: AbortSignal;
  /** How often progress is measured (default 3 s). */
  progressEveryMs?: number;
}

export interface InstallEngineDeps {
  runNpm: RunNpm;
  now: () => number;
}

/** What tries an install again, in every error sentence. */
export const INSTALL_COMMAND = "mallex engine --install";

/**
 * Installs node-llama-cpp and exactly these prebuilt packages into MALLEX_HOME/engine/node-llama-cpp-V
 * with the user's npm. The whole tree is made in a fresh folder beside it and swapped in when npm has
 * finished (with the marker findEngine looks for), so an engine never loads a half-installed one and a
 * failed install leaves the previous one as it was.
 *
 * npm is told: `--omit=optional`, so node-llama-cpp's other prebuilt packages (its optional
 * dependencies) stay out — the ones named here are this folder's own dependencies and so are
 * installed; `--ignore-scripts`, so its postinstall, which compiles llama.cpp from source when it
 * finds no binary it can use (10 minutes on 2 cores, measured), never runs: the engine never builds.
 */
export async function installEngine(options: InstallEngineOptions, deps: InstallEngineDeps): Promise<void> {
  const target = engineDir(options.mallexHome);
  const what = `node-llama-cpp ${NODE_LLAMA_CPP_VERSION} and ${options.packages.join(", ")}`;
  const fail = (why: string, fix: string, cause?: unknown) =>
    new MallexError("E_ENGINE_INSTALL", `mallex: cannot install the embedded engine (${what}) into ${target}: ${why}.\n${fix}`, { cause });
  let fresh: string;
  try {
    fresh = await freshSiblingDir(target);
  } catch (error) {
    throw fail(`cannot create a folder there (${(error as Error).message})`, `Set MALLEX_HOME to a folder you own, then run \`${INSTALL_COMMAND}\`.`, error);
  }
  try {
    const dependencies = Object.fromEntries(["node-llama-cpp", ...options.packages].map((name) => [name, NODE_LLAMA_CPP_VERSION]));
    // allowScripts too, for an `npm install` someone runs there by hand.
    const manifest = {
      name: "mallex-engine",
      private: true,
      description: "node-llama-cpp for mallex's embedded engine: written by mallex engine --install",
      dependencies,
      allowScripts: { "node-llama-cpp": false },
    };
    await writeFile(join(fresh, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    // A mallex started by npx or an npm script hands that npm's settings on as npm_config_*
    // variables (its prefix and local prefix among them); the command line outranks them.
    const npm = (args: readonly string[]) =>
      deps.runNpm([...args, "--prefix", fresh, "--global=false", "--no-audit", "--no-fund"], {
        cwd: fresh,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    // Offline, npm retries each request for about 70 s before it says so (measured); one question
    // asked without retries says it in a second.
    const reachable = await npm(["view", `node-llama-cpp@${NODE_LLAMA_CPP_VERSION}`, "version", "--fetch-retries=0"]);
    if (options.signal?.aborted) throw stopped(target);
    if (reachable.exitCode !== 0) {
      const failure = explainNpmFailure(reachable, INSTALL_COMMAND);
      throw fail(failure.why, failure.fix);
    }
    options.print(`mallex: installing ${options.label} from npm into ${target}`);
    const started = deps.now();
    const stop = watchInstallProgress({
      dir: join(fresh, "node_modules"),
      label: options.label,
      print: options.print,
      ...(options.progressEveryMs !== undefined ? { everyMs: options.progressEveryMs } : {}),
      now: deps.now,
    });
    let result;
    let bytes: number;
    try {
      result = await npm(["install", "--omit=optional", "--ignore-scripts"]);
    } finally {
      bytes = await stop();
    }
    if (options.signal?.aborted) throw stopped(target);
    if (result.exitCode !== 0) {
      const failure = explainNpmFailure(result, INSTALL_COMMAND);
      throw fail(failure.why, failure.fix);
    }
    const marker: EngineMarker = { nodeLlamaCpp: NODE_LLAMA_CPP_VERSION, packages: [...options.packages] };
    await writeFile(join(fresh, ENGINE_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    try {
      await swapFolderIn(fresh, target);
    } catch (error) {
      // Windows will not rename a folder whose binaries a running engine holds open.
      throw fail(
        `cannot put it in place (${(error as Error).message})`,
        `Stop the engines running from it (\`mallex server stop\`), then run \`${INSTALL_COMMAND}\`.`,
        error,
      );
    }
    options.print(`mallex: installed ${options.label} in ${Math.round((deps.now() - started) / 1000)} s (${formatBytes(bytes)})`);
  } finally {
    await rm(fresh, { recursive: true, force: true });
  }
}

function stopped(target: string): MallexError {
  return new MallexError("E_ENGINE_INSTALL", `mallex: stopped installing the embedded engine; nothing was changed in ${target}.`, { exitCode: 130 });
}
