import { readdirSync, statSync, type Dirent } from "node:fs";
import { join } from "node:path";
import { parseGgufShardFilename } from "@huggingface/gguf";
import { modelShortName } from "../shared/model-short-name.js";
import { cachedSnapshot } from "../supervisor/memory/model-sizes.js";
import type { ModelFormat } from "./model-entry.js";

/** A model found on disk by looking, before its files are read. */
export interface FoundModel {
  name: string;
  /** The GGUF file, the MLX folder (a snapshot), or a repo folder whose download has not finished. */
  path: string;
  format: ModelFormat;
  /** huggingface_hub left `.incomplete` blobs: a download of the repo was started and not finished. */
  incomplete?: true;
}

/** How deep a models folder is walked: the engine's downloads sit 5 folders down (hf/user/repo/revision/file). */
const MAX_DEPTH = 8;

/**
 * Every `*.gguf` file under `dir` (the embedded engine's downloads in MALLEX_HOME/models, and files
 * put there by hand), links followed; hidden folders (`.tags`), partial downloads (`*.part`) and the
 * later parts of a split model are not models of their own. Sorted; [] when the folder is not there.
 */
export function findGgufFiles(dir: string, depth = MAX_DEPTH): string[] {
  const found: string[] = [];
  for (const entry of listFolder(dir)) {
    if (entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    const kind = kindOf(entry, path);
    if (kind === "folder" && depth > 0) found.push(...findGgufFiles(path, depth - 1));
    else if (kind === "file" && entry.name.toLowerCase().endsWith(".gguf") && !isLaterPart(entry.name)) found.push(path);
  }
  return found.sort();
}

/**
 * The models in a Hugging Face hub cache (`<cache>/models--org--name/snapshots/<revision>/`, the
 * snapshot a server loads: cachedSnapshot): an MLX folder where it holds config.json and
 * *.safetensors, and any GGUF in it. A repo whose download stopped halfway is listed too.
 */
export function findHubModels(cache: string): FoundModel[] {
  const found: FoundModel[] = [];
  for (const entry of listFolder(cache).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.name.startsWith("models--")) continue;
    const repoDir = join(cache, entry.name);
    const name = modelShortName(entry.name.slice("models--".length).replace("--", "/"));
    const incomplete = listFolder(join(repoDir, "blobs")).some((blob) => blob.name.endsWith(".incomplete"));
    const snapshot = cachedSnapshot(repoDir);
    const files = snapshot === undefined ? [] : listFolder(snapshot).map((f) => f.name);
    const weights = files.some((file) => file.endsWith(".safetensors"));
    if (snapshot !== undefined && files.includes("config.json") && (weights || incomplete))
      found.push({ name, path: snapshot, format: "mlx", ...(incomplete ? { incomplete: true as const } : {}) });
    else if (incomplete && !files.some((file) => file.toLowerCase().endsWith(".gguf")))
      found.push({ name, path: snapshot ?? repoDir, format: "mlx", incomplete: true });
    if (snapshot !== undefined) for (const path of findGgufFiles(snapshot, 2)) found.push({ name: modelShortName(path), path, format: "gguf" });
  }
  return found;
}

/** `name-00002-of-00003.gguf`: the first part stands for a split model (read-gguf-file.ts reads them all). */
function isLaterPart(name: string): boolean {
  const split = parseGgufShardFilename(name);
  return split !== null && Number(split.shard) > 1;
}

function listFolder(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** A file or a folder, a link followed to what it points at; undefined for anything else (a broken link). */
function kindOf(entry: Dirent, path: string): "file" | "folder" | undefined {
  if (entry.isFile()) return "file";
  if (entry.isDirectory()) return "folder";
  if (!entry.isSymbolicLink()) return undefined;
  let target;
  try {
    target = statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined; // a loop of links, a folder it may not read
  }
  return target?.isFile() ? "file" : target?.isDirectory() ? "folder" : undefined;
}
