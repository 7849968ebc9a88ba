/**
 * Memory bandwidth the makers publish for the chips `mallex init` may meet, in GB/s (10^9 bytes):
 * decoding a token reads every weight once, so this bounds a model's tokens/s on a GPU or on Apple's
 * unified memory. A machine cannot measure its GPU's bandwidth without a GPU program, so these are
 * the published peaks, said as such wherever they are used. Pure lookups; an unknown name is undefined.
 */

/** Apple chips: base, Pro, Max, Ultra. Where a Max comes in two bandwidths (M3 Max 300/400, M4 Max 410/546), the lower. */
const APPLE: Record<string, Partial<Record<"base" | "Pro" | "Max" | "Ultra", number>>> = {
  M1: { base: 68, Pro: 200, Max: 400, Ultra: 800 },
  M2: { base: 100, Pro: 200, Max: 400, Ultra: 800 },
  M3: { base: 100, Pro: 150, Max: 300, Ultra: 819 },
  M4: { base: 120, Pro: 273, Max: 410 },
  M5: { base: 153 },
};

/** `Apple M3 Max` → 300; `Apple M9` (not in the table) → undefined. */
export function appleChipBandwidth(chip: string | undefined): number | undefined {
  const match = /\bApple (M\d+)(?: (Pro|Max|Ultra))?\b/.exec(chip ?? "");
  if (!match) return undefined;
  const tier = (match[2] ?? "base") as "base" | "Pro" | "Max" | "Ultra";
  return APPLE[match[1]!]?.[tier];
}

/**
 * NVIDIA boards by the name nvidia-smi prints, most specific first (an "RTX 4070 Ti" is not an
 * "RTX 4070"). Data-center parts list their SXM/HBM form where the name says so.
 */
const NVIDIA: ReadonlyArray<readonly [RegExp, number]> = [
  [/\bH200\b/, 4800],
  [/\bH100\b.*\b(?:PCIe|NVL)\b/i, 2000],
  [/\bH100\b/, 3350],
  [/\bGH200\b/, 4000],
  [/\bA100\b.*\b80\s?GB\b/i, 1935],
  [/\bA100\b/, 1555],
  [/\bL40S?\b/, 864],
  [/\bL4\b/, 300],
  [/\bA10G?\b/, 600],
  [/\bT4\b/, 320],
  [/\bV100\b/, 900],
  [/\bRTX 6000 Ada\b/i, 960],
  [/\bRTX A6000\b/i, 768],
  [/\bRTX 5090\b/i, 1792],
  [/\bRTX 5080\b/i, 960],
  [/\bRTX 5070 Ti\b/i, 896],
  [/\bRTX 5070\b/i, 672],
  [/\bRTX 4090\b/i, 1008],
  [/\bRTX 4080\b/i, 717],
  [/\bRTX 4070 Ti\b/i, 504],
  [/\bRTX 4070\b/i, 504],
  [/\bRTX 4060 Ti\b/i, 288],
  [/\bRTX 4060\b/i, 272],
  [/\bRTX 3090\b/i, 936],
  [/\bRTX 3080\b/i, 760],
  [/\bRTX 3070\b/i, 448],
  [/\bRTX 3060\b/i, 360],
];

/** `NVIDIA GeForce RTX 4090` → 1008; a board not in the table → undefined. */
export function nvidiaGpuBandwidth(name: string | undefined): number | undefined {
  if (!name) return undefined;
  return NVIDIA.find(([pattern]) => pattern.test(name))?.[1];
}
