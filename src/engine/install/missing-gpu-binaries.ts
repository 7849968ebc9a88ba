import type { GpuName } from "../../shared/gpu-steps.js";
import type { FoundEngine } from "../../shared/engine-location.js";
import { INSTALL_COMMAND } from "./install-engine.js";
import { describeGpus, prebuiltPackages } from "./prebuilt-packages.js";

/**
 * The sentence an engine says at start when node-llama-cpp finds a GPU here whose binaries mallex
 * did not install (a driver installed since, or a GPU install that failed): node-llama-cpp then
 * passes over that GPU, and the user should know why and how to get it. Undefined when nothing is
 * missing, and for a copy beside mallex, which has what npm gave it.
 */
export function missingGpuBinaries(found: FoundEngine, supported: ReadonlyArray<GpuName | false>, platform: NodeJS.Platform, arch: string): string | undefined {
  if (found.source !== "home") return undefined;
  const gpus = supported.filter((gpu): gpu is GpuName => gpu !== false);
  const missing = (prebuiltPackages(platform, arch, gpus) ?? []).filter((p) => !found.binaries.includes(p.name));
  const what = describeGpus(missing);
  if (what === undefined) return undefined;
  return `node-llama-cpp finds ${what} here, but its ${what} binaries are not installed, so the engine cannot use it: \`${INSTALL_COMMAND}\` fetches them (${missing.map((p) => p.name).join(", ")})`;
}
