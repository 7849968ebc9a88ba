/**
 * The model kit `npm run models` fills (scripts/model-kit): a venv with the real mlx-lm, real
 * instruct GGUFs from PyPI packages and one converted to an MLX folder. It lives outside the clone
 * and a user's clone may never fill it, so the suites that need it are skipped, named with the
 * reason; under CI (CI=true) a missing kit fails them, because .ci/run fills it first.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "vitest";

export interface ModelKit {
  /** The kit venv's python: mlx, mlx-lm (mlx_lm.server), transformers, gguf. */
  python: string;
  /** Qwen2.5-Coder-0.5B-Instruct as an MLX folder (float32), converted from `mlx_model_gguf`. */
  mlx_model: string;
  /** SmolLM2-135M-Instruct, Q4_1: a real chat model, small enough to answer in seconds. */
  chat_gguf: string;
  /** Qwen2.5-Coder-1.5B-Instruct, Q4_K_M: a real coder that writes Hermes `<tool_call>` calls. */
  coder_gguf: string | null;
  /** Qwen2.5-Coder-0.5B-Instruct, Q4_K_M: the GGUF `mlx_model` was converted from. */
  mlx_model_gguf: string;
  models: Record<string, { title: string; quantization: string; source: string }>;
}

const inCI = process.env.CI === "true";

/** Where fill_kit.py puts the kit: $MALLEX_MODEL_KIT, else $XDG_CACHE_HOME or ~/.cache, /mallex-model-kit. */
export const MODEL_KIT_DIR = process.env.MALLEX_MODEL_KIT
  ? resolve(process.env.MALLEX_MODEL_KIT)
  : join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "mallex-model-kit");

function readKit(): ModelKit | undefined {
  const file = join(MODEL_KIT_DIR, "kit.json");
  if (!existsSync(file)) return undefined;
  const kit = JSON.parse(readFileSync(file, "utf8")) as ModelKit;
  const paths = [kit.python, kit.mlx_model, kit.chat_gguf, kit.mlx_model_gguf, kit.coder_gguf].filter((p): p is string => p !== null);
  return paths.every((p) => existsSync(p)) ? kit : undefined;
}

export const modelKit = readKit();
export const MODEL_KIT_MISSING = `needs the model kit (npm run models; not found in ${MODEL_KIT_DIR})`;

/** The kit, for a suite that runs only when it is there (describeWithModelKit). */
export function kit(): ModelKit {
  if (!modelKit) throw new Error(MODEL_KIT_MISSING);
  return modelKit;
}

/**
 * `describe` for a suite that needs the kit. Without it the suite's body never runs: it holds one
 * skipped test that says why, or under CI one failing test.
 */
export function describeWithModelKit(name: string, fn: () => void): void {
  if (modelKit) {
    describe(name, fn);
    return;
  }
  describe(name, () => {
    if (!inCI) return it.skip(MODEL_KIT_MISSING, () => undefined);
    it(MODEL_KIT_MISSING, () => {
      throw new Error(`the model kit is missing from ${MODEL_KIT_DIR}: .ci/run must run \`npm run models\` before the tests`);
    });
  });
}

/** Vitest's global setup: one line per run when the kit is missing (the reporter only counts skips). */
export function setup(): void {
  if (!modelKit && !inCI)
    console.warn(
      `mallex tests: no model kit in ${MODEL_KIT_DIR}, so the suites on real models and the real mlx-lm.server are skipped; \`npm run models\` fills it (about 1.7 GB from PyPI, once)`,
    );
}
