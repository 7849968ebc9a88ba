import { readdir, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import type { EnvLookup } from "../../config/interpolate-env.js";
import { parseModelSource } from "../../engine/parse-model-source.js";
import { resolveModelSource } from "../../engine/resolve-model-source.js";
import { MallexError } from "../../shared/mallex-error.js";
import { readFields, refuse, type ActionResult } from "./action-result.js";

/** One progress line of the engine's downloader (tqdm's shape, format-download-progress.ts), and its percent. */
export interface DownloadProgress {
  line: string;
  percent: number | null;
}

export interface DownloadedModel {
  /** The Hugging Face reference as given. */
  ref: string;
  /** The GGUF under MALLEX_HOME/models (a split model's first part). */
  path: string;
  sizeBytes: number;
}

/** A download request, checked before anything is fetched: a Hugging Face reference the engine understands. */
export interface DownloadRequest {
  ref: string;
  /** MALLEX_HOME/models/hf/<user>/<repo>: the one folder the download writes in. */
  repoDir: string;
}

export interface DownloadDeps {
  mallexHome: string;
  /** Read for HF_ENDPOINT and HF_TOKEN, as the engine reads them. */
  env: EnvLookup;
  onProgress(progress: DownloadProgress): void;
  /** The client went away or mallex is stopping: the download stops, and what it wrote goes. */
  signal?: AbortSignal;
}

/**
 * Checks a request to download a model: `ref` is a Hugging Face reference (`hf:org/repo/file.gguf`,
 * `hf:org/repo:Q4_K_M`, as `mallex run --embedded` and a profile's model take them); a URL of another
 * host or a path is no download from the Hub. Pure.
 */
export function checkDownload(body: unknown, mallexHome: string): ActionResult<DownloadRequest> {
  const request = readFields(body, { required: ["ref"] });
  if (!request.ok) return request;
  const ref = request.value.ref.trim();
  if (!/^(hf|huggingface):/i.test(ref))
    return refuse(400, `${JSON.stringify(ref)} is not a Hugging Face reference: give hf:org/repo/file.gguf (one file) or hf:org/repo:Q4_K_M (a quantization)`);
  try {
    const source = parseModelSource(ref, "https://huggingface.co");
    if (source.kind !== "hf-file" && source.kind !== "hf-tag") return refuse(400, `${ref} is not a Hugging Face reference`);
    return { ok: true, value: { ref, repoDir: join(mallexHome, "models", "hf", source.user, source.repo) } };
  } catch (error) {
    if (MallexError.isInstance(error)) return refuse(400, error.message);
    throw error;
  }
}

/**
 * Downloads a model from Hugging Face into MALLEX_HOME/models with the embedded engine's downloader
 * (resolve-model-source.ts: sha256-checked, the GGUF magic checked, renamed into place whole; a copy
 * already verified is used as it is). On failure or abort nothing of this download is left: its
 * partial file and whatever it wrote beside it (a split model's parts, the folders it made) go, and
 * the reason is one line — offline: "cannot download x.gguf: Hugging Face is not reachable (…)".
 */
export async function downloadModel(request: DownloadRequest, deps: DownloadDeps): Promise<ActionResult<DownloadedModel>> {
  const modelsDir = join(deps.mallexHome, "models");
  const before = await listTree(request.repoDir);
  try {
    const path = await resolveModelSource(request.ref, {
      modelsDir,
      env: deps.env,
      onProgress: (line) => deps.onProgress({ line, percent: percentOf(line) }),
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    return { ok: true, value: { ref: request.ref, path, sizeBytes: (await stat(path)).size } };
  } catch (error) {
    await removeWhatWasWritten(request.repoDir, modelsDir, before);
    if (deps.signal?.aborted) return refuse(409, `the download of ${request.ref} was stopped; nothing of it was kept`);
    // The engine keeps a part to resume from; this download keeps nothing, and says so.
    if (MallexError.isInstance(error)) return refuse(503, error.message.split("\n")[0]!.replace(/: start again to resume it$/, ": nothing of it was kept"));
    throw error;
  }
}

function percentOf(line: string): number | null {
  const match = /:\s*(\d{1,3})%\|/.exec(line);
  return match ? Number(match[1]) : null;
}

/** Every file and folder under `dir` (paths), or none when it is not there. */
async function listTree(dir: string): Promise<Set<string>> {
  const found = new Set<string>();
  const walk = async (folder: string, depth: number): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(folder, entry.name);
      found.add(path);
      if (entry.isDirectory() && depth > 0) await walk(path, depth - 1);
    }
  };
  if (await stat(dir).catch(() => undefined)) found.add(dir);
  await walk(dir, 8);
  return found;
}

/** The files this download added under the repository's folder, then the folders it made there (up to the models folder) that are empty. */
async function removeWhatWasWritten(repoDir: string, modelsDir: string, before: ReadonlySet<string>): Promise<void> {
  const after = await listTree(repoDir);
  const added = [...after].filter((path) => !before.has(path)).sort((a, b) => b.length - a.length);
  for (const path of added) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) await rmdir(path).catch(() => undefined);
    else await rm(path, { force: true });
  }
  // The repository's folder and those above it (hf/<user>/, hf/) where this download made them: each goes while it is empty.
  if (before.has(repoDir)) return;
  const hub = join(modelsDir, "hf");
  for (let dir = repoDir; dir === hub || dir.startsWith(`${hub}${sep}`); dir = dirname(dir)) {
    const gone = await rmdir(dir).then(
      () => true,
      (error: NodeJS.ErrnoException) => error.code === "ENOENT",
    );
    if (!gone) return;
  }
}
