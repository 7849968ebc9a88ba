import { isAbsolute, join, resolve } from "node:path";
import type { EnvLookup } from "../config/interpolate-env.js";

// Where a model a profile names sits on this machine: what the supervisor sizes, the facts reader
// reads mlx-lm's config from, and doctor checks.

/** huggingface_hub's cache: HF_HUB_CACHE, else HF_HOME/hub, else $XDG_CACHE_HOME (~/.cache)/huggingface/hub. */
export function huggingFaceHubCache(env: EnvLookup, homedir: string): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  // The older name, still read by huggingface_hub.
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, "hub");
  return join(env.XDG_CACHE_HOME || join(homedir, ".cache"), "huggingface", "hub");
}

/** A Hugging Face repo id, `org/name`. */
export const HF_REPO = /^[\w.-]+\/[\w.-]+$/;

/** A profile's model as a path on this machine: `~/` expanded, relative to the working directory. */
export function localModelPath(model: string, deps: { homedir: string; cwd: string }): string {
  const expanded = model.startsWith("~/") ? join(deps.homedir, model.slice(2)) : model;
  return isAbsolute(expanded) ? expanded : resolve(deps.cwd, expanded);
}

/** Where huggingface_hub keeps a repo's files: `<cache>/models--org--name`. */
export function huggingFaceRepoDir(model: string, deps: { env: EnvLookup; homedir: string }): string {
  return join(huggingFaceHubCache(deps.env, deps.homedir), `models--${model.replace("/", "--")}`);
}
