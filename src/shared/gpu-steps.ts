/**
 * The llama.cpp backends the embedded engine may load, in the order it tries them: `mallex engine
 * --gpu-backends cuda:local,vulkan,cpu`. The supervisor writes that list after a GPU backend failed
 * (supervisor/gpu-fallback.ts); the engine takes the first one that loads here (get-engine-llama.ts).
 *
 * - `cuda`, `vulkan`, `metal`: node-llama-cpp's binary for that GPU, its local source build first
 *   (llama/localBuilds, what `node-llama-cpp source build --gpu X` makes) and then its prebuilt one:
 *   getLlama's own order (bindings/getLlama.js `loadExistingLlamaBinary`).
 * - `cuda:local` (any GPU with `:local`): the local source build only, never the prebuilt binary
 *   that already failed (getLlama with `usePrebuiltBinaries: false`).
 * - `cpu`: no GPU backend.
 */
export type GpuName = "cuda" | "vulkan" | "metal";

export type GpuStep = { gpu: GpuName; localOnly: boolean } | { gpu: false };

const NAMES: readonly GpuName[] = ["cuda", "vulkan", "metal"];

/** node-llama-cpp's order of preference (bindings/utils/getBestComputeLayersAvailable.js): a platform has Metal or CUDA, then Vulkan, then the CPU. */
export const GPU_ORDER: readonly GpuName[] = ["metal", "cuda", "vulkan"];

export const CPU_STEP: GpuStep = { gpu: false };

export function formatGpuStep(step: GpuStep): string {
  return step.gpu === false ? "cpu" : `${step.gpu}${step.localOnly ? ":local" : ""}`;
}

export function formatGpuSteps(steps: readonly GpuStep[]): string {
  return steps.map(formatGpuStep).join(",");
}

/** `--gpu-backends`'s value: a usage error (as a thrown Error with the sentence) for a word it does not know. */
export function parseGpuSteps(value: string): GpuStep[] {
  const steps = value
    .split(",")
    .map((word) => word.trim().toLowerCase())
    .filter(Boolean)
    .map((word): GpuStep => {
      if (word === "cpu") return CPU_STEP;
      const [name, only, ...rest] = word.split(":");
      if (!NAMES.includes(name as GpuName) || (only !== undefined && only !== "local") || rest.length > 0) {
        throw new Error(`--gpu-backends takes cuda, vulkan, metal (each may end in :local, its source build only) or cpu, comma-separated; got "${word}"`);
      }
      return { gpu: name as GpuName, localOnly: only === "local" };
    });
  if (steps.length === 0) throw new Error("--gpu-backends names no backend");
  return steps;
}

/** How the engine's start line names a GPU for people: "CUDA", "Vulkan", "Metal". */
export function gpuLabel(gpu: GpuName | false): string {
  return gpu === false ? "the CPU" : gpu === "cuda" ? "CUDA" : gpu === "vulkan" ? "Vulkan" : "Metal";
}

/** One sentence per step: "CUDA's local source build", "Vulkan", "the CPU". */
export function describeGpuStep(step: GpuStep): string {
  if (step.gpu === false) return "the CPU";
  return step.localOnly ? `a local source build of node-llama-cpp for ${gpuLabel(step.gpu)}` : gpuLabel(step.gpu);
}

/**
 * The line the engine prints once it has a backend, before its first token (which is where a
 * broken GPU binary aborts): the supervisor reads which binary failed from it (gpu-fallback.ts).
 */
export function engineBackendLine(gpu: GpuName | false, buildType: "localBuild" | "prebuilt"): string {
  // The CPU's prebuilt binary is the everyday case, said in one word; a local build is worth naming (it is faster: docs/running.md).
  if (gpu === false) return buildType === "localBuild" ? "llama.cpp backend: cpu (local source build)" : "llama.cpp backend: cpu";
  return `llama.cpp backend: ${gpu} (${buildType === "localBuild" ? "local source build" : "prebuilt binary"})`;
}

export interface EngineBackend {
  gpu: GpuName | false;
  localBuild: boolean;
}

/** engineBackendLine read back from the engine's output; undefined for any other line. */
export function readEngineBackend(line: string): EngineBackend | undefined {
  const match = /\bllama\.cpp backend: (cuda|vulkan|metal|cpu)(?: \((local source build|prebuilt binary)\))?\s*$/.exec(line.trim());
  if (!match) return undefined;
  return { gpu: match[1] === "cpu" ? false : (match[1] as GpuName), localBuild: match[2] === "local source build" };
}
