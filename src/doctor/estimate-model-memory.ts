import { OVERHEAD, weightsOnDisk } from "../supervisor/memory/model-sizes.js";
import type { ProfileInUse } from "./profiles-in-use.js";
import type { DoctorDeps } from "./types.js";

export interface ModelMemory {
  gb: number;
  /** The profile's min_ram_gb, or measured from the weights on disk (then `diskGb` is their size). */
  source: "declared" | "on disk";
  diskGb?: number;
}

const GB = 1024 ** 3;

/**
 * What a supervised profile's model needs in memory, for any server: the profile's min_ram_gb when it
 * declares one, else its weights as they lie on disk — a GGUF file, a local model folder, or a repo's
 * files in the Hugging Face cache — plus the overhead. Undefined when neither is known (an undeclared
 * model that is not downloaded yet).
 */
export function estimateModelMemory(entry: ProfileInUse, deps: DoctorDeps): ModelMemory | undefined {
  if (entry.profile.minRamGb !== undefined) return { gb: entry.profile.minRamGb, source: "declared" };
  const bytes = weightsOnDisk(entry.profile.model, deps, deps);
  if (bytes === undefined) return undefined;
  const diskGb = bytes / GB;
  return { gb: diskGb * OVERHEAD, source: "on disk", diskGb };
}
