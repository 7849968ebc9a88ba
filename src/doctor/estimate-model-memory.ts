import { join } from "node:path";
import { HF_REPO, huggingFaceRepoDir, localModelPath } from "./check-models.js";
import type { ProfileInUse } from "./profiles-in-use.js";
import type { DoctorDeps } from "./types.js";

export interface ModelMemory {
  gb: number;
  /** The profile's min_ram_gb, or measured from the weights on disk (then `diskGb` is their size). */
  source: "declared" | "on disk";
  diskGb?: number;
}

/**
 * The context's KV cache and the runtime on top of the weights: a fifth covers the shipped profiles'
 * context sizes (their min_ram_gb are about 1.2× their weights).
 */
const OVERHEAD = 1.2;
const GB = 1024 ** 3;

/**
 * What a supervised profile's model needs in memory, for any server: the profile's min_ram_gb when it
 * declares one, else its weights as they lie on disk — a GGUF file, a local model folder, or a repo's
 * files in the Hugging Face cache — plus the overhead. Undefined when neither is known (an undeclared
 * model that is not downloaded yet).
 */
export function estimateModelMemory(entry: ProfileInUse, deps: DoctorDeps): ModelMemory | undefined {
  if (entry.profile.minRamGb !== undefined) return { gb: entry.profile.minRamGb, source: "declared" };
  const bytes = weightsOnDisk(entry.profile.model, deps);
  if (bytes === undefined) return undefined;
  const diskGb = bytes / GB;
  return { gb: diskGb * OVERHEAD, source: "on disk", diskGb };
}

/** Bytes of a model's weights as doctor sees them (deps' file system); undefined when not there. */
export function weightsOnDisk(model: string, deps: DoctorDeps): number | undefined {
  const path = localModelPath(model, deps);
  const file = deps.fileSize(path);
  if (file !== undefined) return file;
  // A folder: a local mlx model (safetensors), or a repo in the Hugging Face cache, whose blobs are its files.
  const folder = deps.exists(path) ? path : HF_REPO.test(model) ? join(huggingFaceRepoDir(model, deps), "blobs") : undefined;
  const sizes = folder === undefined ? [] : deps.readdir(folder).map((name) => deps.fileSize(join(folder, name)) ?? 0);
  const total = sizes.reduce((sum, size) => sum + size, 0);
  return total > 0 ? total : undefined;
}
