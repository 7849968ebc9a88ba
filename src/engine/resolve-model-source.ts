/**
 * The model the embedded engine loads, as a local GGUF path: a path is checked; an `hf:` URI or a
 * URL is downloaded into the models folder first (progress lines, resumable, sha256-checked) and
 * found there without the network on later starts.
 *
 * Downloads are mallex's own rather than node-llama-cpp's (ipull): that resumes only in 5 MB
 * chunks, retries a dead network for minutes (150 tries) instead of saying so, and writes in
 * parallel out of order, so the sha256 would need a second read of a many-GB file. Files land in
 * `<modelsDir>/hf/<user>/<repo>/<revision>/<path in repo>`, beside a `.sha256` sidecar.
 */
import { homedir } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import { readFile } from "node:fs/promises";
import { MallexError } from "../shared/mallex-error.js";
import { writeFileAtomic } from "../shared/files/write-file-atomic.js";
import { checkGgufFile } from "./check-gguf-file.js";
import { ensureRemoteFile, explainFailure, type RemoteContext, type RemoteFile } from "./ensure-remote-file.js";
import { fetchHubManifest } from "./fetch-hub-manifest.js";
import { checkRelativePath, DEFAULT_REVISION, parseModelSource, type ModelSource } from "./parse-model-source.js";
import { makePrivateDirAsync } from "../shared/files/private-files.js";

export interface ResolveModelSourceOptions {
  /** Where downloads go: MALLEX_HOME/models (the caller passes it). */
  modelsDir: string;
  /** One human line per progress step (tqdm-style, see format-download-progress.ts); the caller writes it to stderr. */
  onProgress(line: string): void;
  signal?: AbortSignal;
  /** Hugging Face base URL (tests point it at a fake on loopback); default HF_ENDPOINT from `env`, else https://huggingface.co. */
  endpoints?: { huggingFace?: string };
  /** Read for HF_ENDPOINT and HF_TOKEN (gated and private repositories); nothing is read from process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Longest silence of a download before it counts as broken (default DOWNLOAD_SILENCE_MS, 60 s). */
  silenceMs?: number;
}

const HUB = "https://huggingface.co";

/**
 * A local GGUF path (returned absolute after checking it exists and starts with the GGUF magic), or
 * an `hf:` URI (or https URL) resolved to a file under modelsDir, downloaded first if needed: with
 * progress, resumable after an interrupted download, checksum-checked. A split GGUF
 * (`…-00001-of-00003.gguf`) gets all its parts; the first part's path is returned.
 */
export async function resolveModelSource(source: string, options: ResolveModelSourceOptions): Promise<string> {
  options.signal?.throwIfAborted();
  const endpoint = hubEndpoint(options);
  const parsed = parseModelSource(source.trim(), endpoint);
  if (parsed.kind === "local") {
    const path = resolve(parsed.path.startsWith("~/") ? join(homedir(), parsed.path.slice(2)) : parsed.path);
    await checkGgufFile(path);
    return path;
  }
  // A Hugging Face token goes to the Hub only, never to the host of a plain URL.
  const token = parsed.kind === "url" ? undefined : options.env?.HF_TOKEN;
  const context: RemoteContext = {
    hubHeaders: { "User-Agent": "mallex", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    hubOrigin: new URL(endpoint).origin,
    hostName: parsed.kind === "url" ? new URL(parsed.url).host : endpoint === HUB ? "Hugging Face" : `Hugging Face (${endpoint})`,
    onProgress: options.onProgress,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.silenceMs !== undefined ? { silenceMs: options.silenceMs } : {}),
  };
  const files = await remoteFiles(parsed, endpoint, options.modelsDir, context);
  // Every name was checked where it was parsed; this holds the class whatever a later change lets through.
  for (const file of files) checkInside(options.modelsDir, file.localPath, source);
  for (const file of files) {
    await ensureRemoteFile(file, context).catch((error: unknown) => {
      throw options.signal?.aborted ? options.signal.reason : error;
    });
  }
  await checkGgufFile(files[0]!.localPath);
  return files[0]!.localPath;
}

function hubEndpoint(options: ResolveModelSourceOptions): string {
  const endpoint = options.endpoints?.huggingFace ?? options.env?.HF_ENDPOINT ?? HUB;
  if (!/^https?:\/\/[^/]+/i.test(endpoint))
    throw new MallexError("E_MODEL_SOURCE", `the Hugging Face endpoint must be an http(s) URL, got "${endpoint}" (HF_ENDPOINT)`);
  return endpoint.replace(/\/+$/, "");
}

async function remoteFiles(
  source: Exclude<ModelSource, { kind: "local" }>,
  endpoint: string,
  modelsDir: string,
  context: RemoteContext,
): Promise<RemoteFile[]> {
  if (source.kind === "url") {
    const url = new URL(source.url);
    const path = url.pathname
      .split("/")
      .filter(Boolean)
      .map((part) => safeName(decodeURIComponent(part)));
    const label = `${url.origin}${url.pathname}`;
    return [{ label, url: url.href, localPath: join(modelsDir, "url", safeName(url.host), ...path), repo: "", file: path.at(-1) ?? "", revision: "" }];
  }
  const { user, repo } = source;
  const revision = source.kind === "hf-file" ? source.revision : DEFAULT_REVISION;
  const repoDir = join(modelsDir, "hf", user, repo, encodeURIComponent(revision));
  const file = source.kind === "hf-file" ? source.file : await resolveTag(source, endpoint, repoDir, context);
  return splitParts(file).map((part) => ({
    label: `hf:${user}/${repo}/${part}${revision === DEFAULT_REVISION ? "" : `#${revision}`}`,
    url: `${endpoint}/${user}/${repo}/resolve/${encodeURIComponent(revision)}/${part.split("/").map(encodeURIComponent).join("/")}?download=true`,
    localPath: join(repoDir, ...part.split("/")),
    repo: `${user}/${repo}`,
    file: part,
    revision,
  }));
}

/**
 * The file a tag named the last time (kept in `.tags/<tag>` beside the downloads, so a start with
 * the model present needs no network), else the Hub's manifest's answer.
 */
async function resolveTag(source: Extract<ModelSource, { kind: "hf-tag" }>, endpoint: string, repoDir: string, context: RemoteContext): Promise<string> {
  const tagFile = join(repoDir, ".tags", source.tag);
  const known = (await readFile(tagFile, "utf8").catch(() => "")).trim();
  if (known !== "") {
    checkRelativePath(known, source.uri);
    return known;
  }
  let file: string;
  try {
    file = await fetchHubManifest({
      endpoint,
      user: source.user,
      repo: source.repo,
      tag: source.tag,
      uri: source.uri,
      headers: context.hubHeaders,
      ...(context.signal ? { signal: context.signal } : {}),
    });
  } catch (error) {
    throw explainFailure(
      error,
      { label: source.uri, repo: `${source.user}/${source.repo}`, file: "", revision: DEFAULT_REVISION, url: `${endpoint}/${source.user}/${source.repo}` },
      context,
    );
  }
  await makePrivateDirAsync(join(repoDir, ".tags"));
  writeFileAtomic(tagFile, `${file}\n`);
  return file;
}

/** `x-00002-of-00003.gguf` → all three parts, first first; any other name → itself. */
function splitParts(file: string): string[] {
  const split = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i.exec(file);
  if (!split) return [file];
  const count = Number(split[3]);
  return Array.from({ length: count }, (_, i) => `${split[1]}-${String(i + 1).padStart(5, "0")}-of-${split[3]}.gguf`);
}

/** A download's place must be under the models folder, never beside or above it. */
function checkInside(modelsDir: string, localPath: string, source: string): void {
  const path = relative(resolve(modelsDir), resolve(localPath));
  if (path === "" || path.startsWith("..") || isAbsolute(path))
    throw new MallexError("E_MODEL_SOURCE", `${source} would be stored outside the models folder (${localPath}): not downloaded`);
}

/** A URL path segment as a file name: no separators, no `.`/`..`. */
function safeName(part: string): string {
  const name = part.replace(/[^\w.-]/g, "_");
  return name === "." || name === ".." || name === "" ? "_" : name;
}
