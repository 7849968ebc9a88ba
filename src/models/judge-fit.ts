import { REPORTED_RAM_SLACK } from "../setup/recommend-profile.js";
import { OVERHEAD } from "../supervisor/memory/model-sizes.js";

const GB = 1024 ** 3;

/**
 * Whether a model fits this machine's memory, as `mallex doctor` judges it (doctor/check-memory.ts,
 * estimate-model-memory.ts): the min_ram_gb its profiles declare (the largest, when several do),
 * else its weights on disk with the context's overhead; it fits when the RAM the OS reports is
 * within REPORTED_RAM_SLACK of that, as `mallex init` judges a profile. Unknown (null) without a size
 * or without the machine's memory. Pure.
 */
export function judgeFit(model: { sizeBytes: number | null; minRamGb: readonly number[] }, ramGb: number): { fits: boolean | null; needsGb: number | null } {
  const declared = model.minRamGb.length > 0 ? Math.max(...model.minRamGb) : undefined;
  const needsGb = declared ?? (model.sizeBytes !== null && model.sizeBytes > 0 ? (model.sizeBytes / GB) * OVERHEAD : undefined);
  if (needsGb === undefined) return { fits: null, needsGb: null };
  return { fits: ramGb > 0 ? ramGb >= needsGb * REPORTED_RAM_SLACK : null, needsGb: Math.round(needsGb * 100) / 100 };
}
