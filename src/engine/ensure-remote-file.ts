/**
 * Makes one remote file present and verified at its place under the models folder:
 * a copy verified earlier is used without touching the network; otherwise one HEAD learns the
 * published sha256 and size, then the file is downloaded (resuming a part left by an interrupted
 * run), checked against that sha256 and the GGUF magic, and only then renamed into place.
 */
import { readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { MallexError } from "../shared/mallex-error.js";
import { describeMagic, isGgufMagic, readMagic } from "./check-gguf-file.js";
import { describeHubStatus } from "./describe-hub-status.js";
import { downloadToPartFile } from "./download-to-part-file.js";
import { HostUnreachableError, RemoteStatusError } from "./fetch-or-unreachable.js";
import { fetchRemoteFileInfo, type RemoteFileInfo } from "./fetch-remote-file-info.js";
import { createDownloadProgress } from "./format-download-progress.js";
import { hashFile, inspectLocalCopy, removeLocalCopy, writeSidecar } from "./inspect-local-copy.js";
import { makePrivateDirAsync } from "../shared/files/private-files.js";
import { checkFreeSpace } from "./check-free-space.js";

export interface RemoteFile {
  /** How progress lines and errors name it: `hf:user/repo/x.gguf`. */
  label: string;
  url: string;
  localPath: string;
  /** For the Hub's error sentences ("" for a plain URL). */
  repo: string;
  file: string;
  revision: string;
}

export interface RemoteContext {
  /** Sent to the Hub (User-Agent, a token); never to the CDN it redirects to. */
  hubHeaders: Record<string, string>;
  hubOrigin: string;
  /** "Hugging Face", or the host of a plain URL: who was not reachable. */
  hostName: string;
  onProgress(line: string): void;
  signal?: AbortSignal;
  /** Longest silence of a download (default DOWNLOAD_SILENCE_MS). */
  silenceMs?: number;
}

export async function ensureRemoteFile(file: RemoteFile, context: RemoteContext): Promise<void> {
  const local = await inspectLocalCopy(file.localPath);
  if (local.state === "verified") return;
  const signal = context.signal ? { signal: context.signal } : {};
  if (local.state === "changed") {
    if ((await hashFile(file.localPath, signal)) === local.sha256) return writeSidecar(file.localPath, local.sha256);
    // Modified or damaged since it was verified: fetch it again.
    await removeLocalCopy(file.localPath);
  }
  let info: RemoteFileInfo;
  try {
    info = await fetchRemoteFileInfo(file.url, { headers: context.hubHeaders, ...signal });
  } catch (error) {
    // Offline with a copy someone put there: use it as it is, unverified.
    if (error instanceof HostUnreachableError && local.state === "unverified") return;
    throw explainFailure(error, file, context);
  }
  if (local.state === "unverified") {
    const sha256 = await hashFile(file.localPath, signal);
    const size = (await stat(file.localPath)).size;
    if (info.sha256 !== undefined ? sha256 === info.sha256 : info.size === undefined || size === info.size) return writeSidecar(file.localPath, sha256);
    await removeLocalCopy(file.localPath);
  }
  await download(file, info, context);
}

async function download(file: RemoteFile, info: RemoteFileInfo, context: RemoteContext): Promise<void> {
  await makePrivateDirAsync(dirname(file.localPath));
  // Named after the sha256 it should end with: a part of an older version of the file is never resumed.
  const partPath = `${file.localPath}.${(info.sha256 ?? "unverified").slice(0, 16)}.part`;
  await removeStaleParts(file.localPath, partPath);
  await checkFreeSpace({
    label: file.label,
    dir: dirname(file.localPath),
    size: info.size,
    alreadyHave: (await stat(partPath).catch(() => undefined))?.size ?? 0,
  });
  let result: Awaited<ReturnType<typeof downloadToPartFile>>;
  try {
    result = await downloadToPartFile({
      url: info.downloadUrl,
      partPath,
      size: info.size,
      headers: new URL(info.downloadUrl).origin === context.hubOrigin ? context.hubHeaders : {},
      onProgress: createDownloadProgress(file.label, context.onProgress),
      ...(context.signal ? { signal: context.signal } : {}),
      ...(context.silenceMs !== undefined ? { silenceMs: context.silenceMs } : {}),
    });
  } catch (error) {
    if (context.signal?.aborted || !(error instanceof HostUnreachableError)) throw explainFailure(error, file, context);
    const done = (await stat(partPath).catch(() => undefined))?.size ?? 0;
    const where = info.size ? `${Math.floor((done * 100) / info.size)}%` : `${done} bytes`;
    throw new MallexError("E_MODEL_SOURCE", `the download of ${file.label} stopped at ${where} (${error.reason}): start again to resume it`, { cause: error });
  }
  if (info.sha256 !== undefined && result.sha256 !== info.sha256) {
    await rm(partPath, { force: true });
    throw new MallexError(
      "E_MODEL_SOURCE",
      `the download of ${file.label} was corrupt (its sha256 is ${result.sha256}, ${context.hostName} publishes ${info.sha256}); it was deleted: start again to download it afresh`,
    );
  }
  const magic = await readMagic(partPath);
  if (!isGgufMagic(magic)) {
    await rm(partPath, { force: true });
    throw new MallexError("E_MODEL_SOURCE", `${file.label} is not a GGUF model file (it starts with ${describeMagic(magic)}); it was deleted`);
  }
  await rename(partPath, file.localPath);
  await writeSidecar(file.localPath, result.sha256);
}

async function removeStaleParts(localPath: string, keep: string): Promise<void> {
  const name = basename(localPath);
  const entries = await readdir(dirname(localPath)).catch(() => [] as string[]);
  const stale = entries.filter((entry) => entry.startsWith(`${name}.`) && entry.endsWith(".part") && join(dirname(localPath), entry) !== keep);
  await Promise.all(stale.map((entry) => rm(join(dirname(localPath), entry), { force: true })));
}

/**
 * Any failure as the sentence the user reads (an abort stays the caller's own reason). Offline, it is
 * two lines: what failed, naming the file; then what to do, with the address to download it from
 * (`url`: the file's, or the repository's page when the file is not known yet).
 */
export function explainFailure(
  error: unknown,
  file: Pick<RemoteFile, "label" | "repo" | "file" | "revision" | "url">,
  context: Pick<RemoteContext, "hostName" | "hubHeaders" | "signal">,
): unknown {
  if (context.signal?.aborted) return context.signal.reason;
  if (error instanceof HostUnreachableError) {
    const name = file.file === "" ? file.label : basename(file.file);
    // The Hub's `?download=true` only sets the browser's disposition: the address reads better without it.
    const from = file.url.replace(/\?download=true$/, "");
    const what = file.file === "" ? `download its GGUF from ${from}` : `download ${from}`;
    return new MallexError(
      "E_MODEL_SOURCE",
      `cannot download ${name}: ${context.hostName} is not reachable (${error.reason})\nto fix it, ${what} yourself, then run \`mallex run --embedded <that file>\` (this machine's settings, that file as their model)`,
      { cause: error },
    );
  }
  if (error instanceof RemoteStatusError && file.repo === "") {
    return new MallexError("E_MODEL_SOURCE", `cannot download ${file.label}: ${context.hostName} answered ${error.message.trimEnd()}`, { cause: error });
  }
  if (error instanceof RemoteStatusError) {
    const reason = describeHubStatus(error.response, {
      repo: file.repo,
      file: file.file,
      revision: file.revision,
      withToken: "Authorization" in context.hubHeaders,
    });
    return new MallexError("E_MODEL_SOURCE", `cannot download ${file.label}: ${reason}`, { cause: error });
  }
  return error;
}
