import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { CompiledBackend, CompiledProfile } from "../compile/routing-table.js";
import type { EnvLookup } from "../config/interpolate-env.js";
import { downloadedModelPath } from "../doctor/downloaded-model-path.js";
import { HF_REPO, huggingFaceRepoDir, localModelPath } from "../supervisor/locate-model.js";
import { cachedSnapshot } from "../supervisor/memory/model-sizes.js";
import type { ModelFormat } from "./model-entry.js";

export interface ModelPlaceDeps {
  env: EnvLookup;
  homedir: string;
  cwd: string;
  mallexHome: string;
}

/** Where a profile's model is on this machine, or would be once downloaded. */
export type ProfileModelPlace =
  | { here: true; path: string }
  | { here: false; state: "not downloaded" | "partly downloaded" | "missing"; path: string | null; format: ModelFormat; problem: string };

/**
 * Where a profile's model sits, as the server that loads it finds it (and `mallex doctor` checks
 * it): an embedded engine's `hf:` URI or URL in MALLEX_HOME/models, a path (`~/` and relative ones
 * too), an mlx-lm repo id in the Hugging Face cache. A model that is not there says whether its
 * download is to come, was started, or the path it names is empty.
 */
export function locateProfileModel(profile: CompiledProfile, backend: CompiledBackend, deps: ModelPlaceDeps): ProfileModelPlace {
  const model = profile.model;
  const format = expectedFormat(backend.flavor, model);
  const remote = backend.flavor === "embedded" ? downloadedModelPath(model, { env: deps.env, mallexHome: deps.mallexHome, readText }) : undefined;
  if (remote) {
    const path = remote.localPath ?? null;
    if (path !== null && existsSync(path)) return { here: true, path };
    const started = path !== null && partOf(path) !== undefined;
    return {
      here: false,
      state: started ? "partly downloaded" : "not downloaded",
      path,
      format,
      problem: started ? `its download stopped at ${partOf(path)}; the next start resumes it` : "the embedded engine downloads it on first start",
    };
  }
  const asPath = localModelPath(model, deps);
  if (existsSync(asPath)) return { here: true, path: asPath };
  if (!HF_REPO.test(model)) return { here: false, state: "missing", path: asPath, format, problem: `nothing is at ${asPath}` };
  const repoDir = huggingFaceRepoDir(model, deps);
  const snapshot = cachedSnapshot(repoDir);
  const incomplete = list(join(repoDir, "blobs")).some((name) => name.endsWith(".incomplete"));
  if (incomplete)
    return { here: false, state: "partly downloaded", path: snapshot ?? repoDir, format, problem: `huggingface_hub's download of ${model} did not finish` };
  if (snapshot !== undefined && list(snapshot).some((name) => name.endsWith(".safetensors"))) return { here: true, path: snapshot };
  return { here: false, state: "not downloaded", path: null, format, problem: `${model} is not in the Hugging Face cache: mlx-lm downloads it on first start` };
}

/** What a server of this flavor loads: a GGUF (the engine, llama-server), an MLX folder (mlx-lm); else as the name reads. */
export function expectedFormat(flavor: string, model: string): ModelFormat {
  if (flavor === "mlx-lm") return "mlx";
  if (flavor === "embedded" || flavor === "llama-server") return "gguf";
  return model.toLowerCase().endsWith(".gguf") || !HF_REPO.test(model) ? "gguf" : "mlx";
}

/** The engine's `<file>.<sha>.part` beside where the file will be, when a download of it was started. */
function partOf(path: string): string | undefined {
  const name = basename(path);
  const part = list(dirname(path)).find((entry) => entry.startsWith(`${name}.`) && entry.endsWith(".part"));
  return part === undefined ? undefined : join(dirname(path), part);
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
