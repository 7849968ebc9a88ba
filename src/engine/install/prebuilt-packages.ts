import { gpuLabel, type GpuName } from "../../shared/gpu-steps.js";

export interface PrebuiltPackage {
  /** The npm package, e.g. "@node-llama-cpp/linux-x64-cuda". */
  name: string;
  /** The backend it holds; false: the CPU. */
  gpu: GpuName | false;
}

/**
 * The prebuilt packages node-llama-cpp loads on this platform for these GPUs, the CPU's first, as
 * node-llama-cpp looks them up (dist/bindings/utils/compileLLamaCpp.js
 * `getPrebuiltBinariesPackageDirectoryForBuildOptions`): x64 Linux and Windows have one package per
 * backend, CUDA's in two (`-cuda-ext` holds a fallback libggml-cuda that node-llama-cpp loads when the
 * main one finds no device it was built for: Llama.js `loadBackends(fallbackBackendsDir)`); a Mac has
 * one (Metal on Apple chips, where node-llama-cpp always uses it), as has every other architecture,
 * whatever GPU is found. A GPU with no package here (CUDA on arm64) adds nothing. Undefined: no
 * prebuilt binary exists for this platform.
 *
 * @example
 * prebuiltPackages("linux", "x64", ["cuda"]).map((p) => p.name)
 * // ["@node-llama-cpp/linux-x64", "@node-llama-cpp/linux-x64-cuda", "@node-llama-cpp/linux-x64-cuda-ext"]
 */
export function prebuiltPackages(platform: NodeJS.Platform, arch: string, gpus: readonly GpuName[]): PrebuiltPackage[] | undefined {
  const one = (name: string, gpu: GpuName | false = false): PrebuiltPackage[] => [{ name: `@node-llama-cpp/${name}`, gpu }];
  if (platform === "darwin") return arch === "arm64" ? one("mac-arm64-metal", "metal") : arch === "x64" ? one("mac-x64") : undefined;
  const os = platform === "linux" ? "linux" : platform === "win32" ? "win" : undefined;
  if (os === undefined) return undefined;
  if (arch === "x64") {
    const packages = one(`${os}-x64`);
    if (gpus.includes("cuda")) packages.push(...one(`${os}-x64-cuda`, "cuda"), ...one(`${os}-x64-cuda-ext`, "cuda"));
    if (gpus.includes("vulkan")) packages.push(...one(`${os}-x64-vulkan`, "vulkan"));
    return packages;
  }
  const other: Record<string, string | undefined> =
    os === "linux" ? { arm64: "linux-arm64", arm: "linux-armv7l", riscv64: "linux-riscv64" } : { arm64: "win-arm64" };
  const name = other[arch];
  return name === undefined ? undefined : one(name);
}

/** The GPU backends a set of packages holds, for people: "CUDA and Vulkan", or undefined for none. */
export function describeGpus(packages: readonly PrebuiltPackage[]): string | undefined {
  const labels = [...new Set(packages.flatMap((p) => (p.gpu === false ? [] : [gpuLabel(p.gpu)])))];
  return labels.length === 0 ? undefined : joinWords(labels);
}

/** Every backend a set of packages holds, the CPU's first: "the CPU, CUDA and Vulkan". */
export function describeBackends(packages: readonly PrebuiltPackage[]): string {
  return joinWords([...new Set(packages.map((p) => gpuLabel(p.gpu)))]);
}

function joinWords(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}
