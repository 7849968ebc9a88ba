import { isAbsolute, join, resolve } from "node:path";
import type { EnvLookup } from "../config/interpolate-env.js";
import { isLocal, profilesInUse, type ProfileInUse } from "./profiles-in-use.js";
import type { CheckResult, DoctorContext, DoctorDeps } from "./types.js";

/** huggingface_hub's cache: HF_HUB_CACHE, else HF_HOME/hub, else $XDG_CACHE_HOME (~/.cache)/huggingface/hub. */
export function huggingFaceHubCache(env: EnvLookup, homedir: string): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  // The older name, still read by huggingface_hub.
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, "hub");
  return join(env.XDG_CACHE_HOME || join(homedir, ".cache"), "huggingface", "hub");
}

export const HF_REPO = /^[\w.-]+\/[\w.-]+$/;

/** A profile's model as a path on this machine: `~/` expanded, relative to the working directory. */
export function localModelPath(model: string, deps: Pick<DoctorDeps, "homedir" | "cwd">): string {
  const expanded = model.startsWith("~/") ? join(deps.homedir, model.slice(2)) : model;
  return isAbsolute(expanded) ? expanded : resolve(deps.cwd, expanded);
}

/** Where huggingface_hub keeps a repo's files: `<cache>/models--org--name`. */
export function huggingFaceRepoDir(model: string, deps: Pick<DoctorDeps, "env" | "homedir">): string {
  return join(huggingFaceHubCache(deps.env, deps.homedir), `models--${model.replace("/", "--")}`);
}

/** For every model mallex would start itself: in the Hugging Face cache (mlx-lm), or the file exists (GGUF). */
export function checkModels(ctx: DoctorContext): CheckResult[] {
  if (ctx.options.backendUrl) return [{ name: "model", ok: "skip", detail: "--backend-url: the running server has its model" }];
  const supervised = profilesInUse(ctx.table).filter((p) => isLocal(p) && p.backend.supervise);
  if (supervised.length === 0) return [{ name: "model", ok: "skip", detail: "mallex starts no model server for this config" }];
  return supervised.map((entry) =>
    entry.backend.flavor === "mlx-lm" && !ctx.hardware.appleSilicon
      ? { name: `model ${entry.profile.name}`, ok: "skip", detail: "mlx-lm cannot run on this machine (see mlx-lm)" }
      : checkModel(ctx, entry),
  );
}

function checkModel(ctx: DoctorContext, entry: ProfileInUse): CheckResult {
  const { deps } = ctx;
  const model = entry.profile.model;
  const name = `model ${entry.profile.name}`;
  const asPath = localModelPath(model, deps);
  // llama-server's -m takes a file; mlx-lm takes a Hugging Face repo id or a local folder.
  if (entry.backend.flavor !== "mlx-lm" || !HF_REPO.test(model) || deps.exists(asPath)) {
    return deps.exists(asPath)
      ? { name, ok: true, detail: `${model} exists` }
      : { name, ok: false, detail: `${model} does not exist`, fix: `download the model file, or set profiles.${entry.profile.name}.model to its path` };
  }
  const cache = huggingFaceHubCache(deps.env, deps.homedir);
  const dir = huggingFaceRepoDir(model, deps);
  const fix = `\`mallex run\` downloads it on first start, which takes a while; or fetch it now: hf download ${model}`;
  const snapshots = deps.readdir(join(dir, "snapshots"));
  if (snapshots.length === 0) return { name, ok: false, detail: `${model} is not in the Hugging Face cache (${cache})`, fix };
  if (deps.readdir(join(dir, "blobs")).some((file) => file.endsWith(".incomplete"))) {
    return { name, ok: false, detail: `${model} is only partly downloaded (${dir})`, fix };
  }
  return { name, ok: true, detail: `${model} is in the Hugging Face cache` };
}
