import { findEngine, NODE_LLAMA_CPP_VERSION, type FoundEngine } from "../../shared/engine-location.js";
import type { GpuName } from "../../shared/gpu-steps.js";
import { MallexError } from "../../shared/mallex-error.js";
import { detectEngineGpus, type DetectGpus } from "./detect-engine-gpus.js";
import { INSTALL_COMMAND, installEngine, type InstallEngineDeps } from "./install-engine.js";
import { describeGpus, prebuiltPackages } from "./prebuilt-packages.js";
import { runNpm } from "./run-npm.js";

export interface EnsureEngineOptions {
  packageRoot: string;
  mallexHome: string;
  print(line: string): void;
  signal?: AbortSignal;
  /**
   * `mallex engine --install`: look at an existing install again too, for GPU binaries it lacks (a
   * driver installed since, or `gpus`). Otherwise an install that is there is used as it is.
   */
  recheck?: boolean;
  /** The GPU backends to install binaries for; absent: those node-llama-cpp finds here. */
  gpus?: readonly GpuName[];
}

export interface EnsureEngineDeps extends InstallEngineDeps {
  detectGpus: DetectGpus;
  platform: NodeJS.Platform;
  arch: string;
}

export const defaultEnsureEngineDeps = (): EnsureEngineDeps => ({
  runNpm,
  now: Date.now,
  detectGpus: detectEngineGpus,
  platform: process.platform,
  arch: process.arch,
});

export interface EnsuredEngine {
  found: FoundEngine;
  /** The GPU binaries could not be installed: the engine runs on what is there (the CPU). Two lines, like any install error. */
  gpuError?: MallexError;
}

/**
 * node-llama-cpp for the engine, installed first if it is not there: its CPU binary (what every
 * machine runs, and the engine's last resort), then — once node-llama-cpp can be asked which GPUs
 * this machine has drivers for — the binaries for those, fetched from npm. A copy beside mallex at
 * the right version (a development checkout) is used as it is and nothing is installed.
 */
export async function ensureEngine(options: EnsureEngineOptions, deps: EnsureEngineDeps): Promise<EnsuredEngine> {
  const search = findEngine(options.packageRoot, options.mallexHome);
  if (search.found?.source === "beside") return { found: search.found };
  const base = prebuiltPackages(deps.platform, deps.arch, []);
  if (base === undefined) {
    throw new MallexError(
      "E_ENGINE_INSTALL",
      `mallex: node-llama-cpp has no prebuilt llama.cpp binary for ${deps.platform}-${deps.arch}, and the embedded engine never compiles one.\nUse a model server that runs here, started by mallex (--server-command) or already running (--backend-url).`,
    );
  }
  let found = search.found;
  if (found !== undefined && !options.recheck) return { found };
  if (found === undefined) {
    if (search.otherVersion)
      options.print(
        `mallex: node-llama-cpp ${search.otherVersion.version} beside mallex (${search.otherVersion.packageDir}) is not the version mallex runs (${NODE_LLAMA_CPP_VERSION}): the engine gets its own copy`,
      );
    await installEngine(
      { ...common(options), packages: base.map((p) => p.name), label: `node-llama-cpp ${NODE_LLAMA_CPP_VERSION} for ${describeGpus(base) ?? "the CPU"}` },
      deps,
    );
    found = findEngine(options.packageRoot, options.mallexHome).found;
    if (found === undefined)
      throw new MallexError(
        "E_ENGINE_INSTALL",
        `mallex: npm installed node-llama-cpp ${NODE_LLAMA_CPP_VERSION}, but the engine cannot find it where it was put (a mallex bug, please report it).`,
      );
  }
  let gpus = options.gpus;
  if (gpus === undefined) {
    try {
      gpus = await deps.detectGpus(found.root);
    } catch (error) {
      return {
        found,
        gpuError: new MallexError(
          "E_ENGINE_INSTALL",
          `mallex: ${(error as Error).message}, so no GPU binary was installed: the engine runs on the CPU.\nName the GPU to install for (\`${INSTALL_COMMAND} --gpu-backends cuda\`), or leave it on the CPU.`,
          { cause: error },
        ),
      };
    }
  }
  const have = new Set(found.binaries);
  const wanted = prebuiltPackages(deps.platform, deps.arch, gpus) ?? base;
  const missing = wanted.filter((p) => !have.has(p.name));
  if (missing.length === 0) return { found };
  try {
    await installEngine(
      {
        ...common(options),
        packages: [...new Set([...found.binaries, ...wanted.map((p) => p.name)])],
        label: `node-llama-cpp ${NODE_LLAMA_CPP_VERSION}'s ${describeGpus(missing) ?? "CPU"} binaries`,
      },
      deps,
    );
  } catch (error) {
    if (!MallexError.isInstance(error) || error.exitCode === 130) throw error;
    // The CPU's binary is in place: the engine runs, on the CPU, and says why.
    const kept = describeGpus(wanted.filter((p) => have.has(p.name))) ?? "the CPU";
    return { found, gpuError: new MallexError("E_ENGINE_INSTALL", error.message.replace(/\n/, ` The engine runs on ${kept} until then.\n`), { cause: error }) };
  }
  return { found: findEngine(options.packageRoot, options.mallexHome).found ?? found };
}

function common(options: EnsureEngineOptions) {
  return { mallexHome: options.mallexHome, print: options.print, ...(options.signal ? { signal: options.signal } : {}) };
}
