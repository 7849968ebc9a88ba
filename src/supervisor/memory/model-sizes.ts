/**
 * How much memory each supervised server takes, best known first: measured (its process tree's RSS
 * once ready, remembered here and in MALLEX_HOME/model-sizes.json for the next session), else its
 * weights on disk (a GGUF file, a local model folder, or an mlx repo's *.safetensors in the Hugging
 * Face cache) plus the context's share, else the profile's min_ram_gb, else an estimate from params_b.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { HF_REPO, huggingFaceRepoDir, localModelPath } from "../locate-model.js";
import type { ServerSize, SizeSource } from "./server-size.js";
import { measureProcessTree } from "./measure-process-memory.js";
import { makePrivateDir } from "../../shared/files/private-files.js";
import { writeFileAtomic } from "../../shared/files/write-file-atomic.js";

/** What a profile says about its model's size. */
export interface ModelFacts {
  model: string;
  minRamGb?: number;
  paramsB?: number;
}

export interface ModelSizeDeps {
  /** RSS in bytes of the process tree under pid (measure-process-memory.ts). */
  measure(pid: number): Promise<number | undefined>;
  /** Bytes of the model's weights on this machine; undefined when not there (not downloaded yet, or not a path). */
  weightsBytes(model: string): number | undefined;
  /** Sizes measured by earlier sessions, by server key; writes them back. */
  load(): Record<string, number>;
  save(sizes: Record<string, number>): void;
}

export interface ModelSizes extends SizeSource {
  /** The profile a server runs, for its sizes before it is measured (the first profile seen for a key). */
  register(key: string, facts: ModelFacts): void;
}

const GB = 1024 ** 3;
/**
 * The context's KV cache and the runtime on top of the weights: a fifth covers the shipped profiles'
 * context sizes (their min_ram_gb are about 1.2× their weights). Doctor's estimate counts it too.
 */
export const OVERHEAD = 1.2;
/** A 4-bit quantization takes about half a byte per parameter; mallex's profiles are mostly 4-bit. */
const GB_PER_BILLION_PARAMS = 0.5 * OVERHEAD;

export function createModelSizes(deps: ModelSizeDeps): ModelSizes {
  const facts = new Map<string, ModelFacts>();
  // A loaded model's weights are all on disk and stay as they are: read once, after its server was
  // measured. Before that they may be downloading (a figure read then would be a few shards' worth).
  const weightsLoaded = new Map<string, number>();
  const weightsOf = (model: string) => weightsLoaded.get(model) ?? deps.weightsBytes(model);
  let measured: Record<string, number> | undefined;
  const remembered = () => (measured ??= safeLoad(deps));
  return {
    register(key, model) {
      if (!facts.has(key)) facts.set(key, model);
    },
    of(key): ServerSize | undefined {
      const model = facts.get(key);
      const weights = model ? weightsOf(model.model) : undefined;
      const rss = remembered()[key];
      // The weights are a floor: a mixture-of-experts model has touched only some experts when it
      // first answers, so its RSS then is below what it grows to.
      if (rss !== undefined) return { bytes: Math.max(rss, weights ?? 0), source: "measured" };
      if (weights !== undefined) return { bytes: weights * OVERHEAD, source: "weights on disk" };
      if (model?.minRamGb !== undefined) return { bytes: model.minRamGb * GB, source: "min_ram_gb" };
      if (model?.paramsB !== undefined) return { bytes: model.paramsB * GB_PER_BILLION_PARAMS * GB, source: "params_b" };
      return undefined;
    },
    async measure(key, pid) {
      const bytes = await deps.measure(pid);
      if (bytes === undefined || bytes <= 0) return undefined;
      const model = facts.get(key)?.model;
      const weights = model === undefined ? undefined : deps.weightsBytes(model);
      if (model !== undefined && weights !== undefined) weightsLoaded.set(model, weights);
      const sizes = remembered();
      sizes[key] = bytes;
      try {
        deps.save(sizes);
      } catch {
        // Remembering for the next session is a convenience: this session has the size.
      }
      return bytes;
    },
  };
}

function safeLoad(deps: ModelSizeDeps): Record<string, number> {
  try {
    const loaded = deps.load();
    return Object.fromEntries(Object.entries(loaded).filter(([, bytes]) => typeof bytes === "number" && bytes > 0));
  } catch {
    return {}; // none yet, or unreadable: sizes are measured again
  }
}

/** The real machine: ps or /proc for RSS, the file system for weights, MALLEX_HOME/model-sizes.json. */
export function defaultModelSizeDeps(mallexHome: string, env: Readonly<Record<string, string | undefined>> = process.env): ModelSizeDeps {
  const file = join(mallexHome, "model-sizes.json");
  return {
    measure: (pid) => measureProcessTree(pid),
    weightsBytes: (model) => weightsOnDisk(model, { env, homedir: homedir(), cwd: process.cwd() }),
    load: () => JSON.parse(readFileSync(file, "utf8")) as Record<string, number>,
    save: (sizes) => {
      makePrivateDir(mallexHome);
      writeFileAtomic(file, `${JSON.stringify(sizes, null, 2)}\n`);
    },
  };
}

/** The file system as weightsOnDisk reads it (doctor passes its own, which tests fake). */
export interface ModelFiles {
  exists(path: string): boolean;
  /** A file's size (following symlinks, as a snapshot's files point into blobs/); undefined for a folder or nothing. */
  fileSize(path: string): number | undefined;
  readdir(path: string): string[];
  readText(path: string): string | undefined;
}

/** Where a model name is looked for: ~ and relative paths, and the Hugging Face cache (HF_HUB_CACHE, HF_HOME). */
export interface ModelPlace {
  env: Readonly<Record<string, string | undefined>>;
  homedir: string;
  cwd: string;
}

/**
 * A GGUF (or any) file's size; a local folder's *.safetensors and *.gguf; a Hugging Face repo's
 * *.safetensors in its cached snapshot (the one refs/main names, else any): other revisions still in
 * the cache are not what the server loads.
 */
export function weightsOnDisk(model: string, where: ModelPlace, files: ModelFiles = nodeModelFiles): number | undefined {
  const path = localModelPath(model, where);
  const file = files.fileSize(path);
  if (file !== undefined) return file;
  if (files.exists(path)) return sumWeights(files, path, /\.(safetensors|gguf)$/);
  if (!HF_REPO.test(model)) return undefined;
  const snapshot = cachedSnapshot(huggingFaceRepoDir(model, where), files);
  return snapshot === undefined ? undefined : sumWeights(files, snapshot, /\.safetensors$/);
}

/**
 * The snapshot of a repo in the Hugging Face cache (`<cache>/models--org--name`) that a server loads:
 * the one refs/main names, else any (the first by name); undefined when none is there.
 */
export function cachedSnapshot(repoDir: string, files: ModelFiles = nodeModelFiles): string | undefined {
  const snapshots = join(repoDir, "snapshots");
  const main = files.readText(join(repoDir, "refs", "main"))?.trim();
  const revision = main && files.exists(join(snapshots, main)) ? main : [...files.readdir(snapshots)].sort()[0];
  return revision === undefined ? undefined : join(snapshots, revision);
}

function sumWeights(files: ModelFiles, folder: string, pattern: RegExp): number | undefined {
  const total = files
    .readdir(folder)
    .filter((name) => pattern.test(name))
    .reduce((sum, name) => sum + (files.fileSize(join(folder, name)) ?? 0), 0);
  return total > 0 ? total : undefined;
}

/** ModelFiles on this machine's file system. */
export const nodeModelFiles: ModelFiles = {
  exists: existsSync,
  fileSize(path) {
    const stats = statSync(path, { throwIfNoEntry: false });
    return stats?.isFile() ? stats.size : undefined;
  },
  readdir(path) {
    try {
      return readdirSync(path);
    } catch {
      return [];
    }
  },
  readText(path) {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
};
