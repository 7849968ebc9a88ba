import { defaultEnsureEngineDeps, ensureEngine, type EnsureEngineDeps } from "../engine/install/ensure-engine.js";
import type { NodeLlamaCpp } from "../engine/install/import-engine.js";
import { NODE_LLAMA_CPP_VERSION, type FoundEngine } from "../shared/engine-location.js";
import { missingGpuBinaries } from "../engine/install/missing-gpu-binaries.js";
import { describeBackends, prebuiltPackages } from "../engine/install/prebuilt-packages.js";
import type { GpuName, GpuStep } from "../shared/gpu-steps.js";
import { MallexError } from "../shared/mallex-error.js";

export interface EngineInstallOptions {
  packageRoot: string;
  mallexHome: string;
  print(line: string): void;
  signal?: AbortSignal;
  /** `--gpu-backends`: the GPUs to install binaries for instead of those node-llama-cpp finds. */
  backends?: readonly GpuStep[];
}

/**
 * `mallex engine --install`: node-llama-cpp and the binaries for this machine, then one line saying
 * what the engine has. A GPU whose binaries could not be installed fails the command (the CPU's are in
 * place), with the same two lines as any install error.
 */
export async function runEngineInstall(options: EngineInstallOptions, deps: EnsureEngineDeps = defaultEnsureEngineDeps()): Promise<void> {
  if (options.backends?.some((step) => step.gpu !== false && step.localOnly)) {
    throw new MallexError(
      "E_USAGE",
      "mallex engine --install: a :local backend is a source build, which mallex does not install; name the GPU alone (cuda, vulkan, metal)",
      { exitCode: 2 },
    );
  }
  const gpus = options.backends?.flatMap((step): GpuName[] => (step.gpu === false ? [] : [step.gpu]));
  const ensured = await ensureEngine(
    {
      packageRoot: options.packageRoot,
      mallexHome: options.mallexHome,
      print: options.print,
      recheck: true,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(gpus ? { gpus } : {}),
    },
    deps,
  );
  if (ensured.gpuError) throw ensured.gpuError;
  const { found } = ensured;
  const has = (prebuiltPackages(deps.platform, deps.arch, ["cuda", "vulkan", "metal"]) ?? []).filter((p) => found.binaries.includes(p.name));
  const where = found.source === "beside" ? `beside mallex (${found.packageDir}), as npm installed it: nothing to install` : `in ${found.root}`;
  options.print(
    `mallex: the embedded engine has node-llama-cpp ${NODE_LLAMA_CPP_VERSION} ${where}; binaries for ${has.length > 0 ? describeBackends(has) : "no backend of this machine"} (${found.binaries.join(", ") || "none"})`,
  );
}

/** At an engine's start: a GPU node-llama-cpp finds here whose binaries are missing, said once (missingGpuBinaries). */
export async function noteMissingGpuBinaries(
  found: FoundEngine,
  nodeLlamaCpp: Pick<NodeLlamaCpp, "getLlamaGpuTypes">,
  note: (line: string) => void,
): Promise<void> {
  const supported = await nodeLlamaCpp.getLlamaGpuTypes("supported").catch(() => [] as const);
  const line = missingGpuBinaries(found, supported, process.platform, process.arch);
  if (line !== undefined) note(line);
}
