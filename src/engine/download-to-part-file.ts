/**
 * Downloads one file into a `.part` file, resuming what an earlier, interrupted run left there with
 * `Range: bytes=<size>-`, and hashing as it writes so the sha256 is known the moment the last byte
 * lands (only a resumed head is read back, once). One sequential stream, like huggingface_hub and
 * llama.cpp: that is what makes byte-exact resume and hash-while-writing possible.
 *
 * A connection that breaks after bytes arrived is retried at once from where it stopped; one that
 * brings nothing (the network is gone) ends the download with a HostUnreachableError, leaving the
 * part for the next run. An abort rethrows the signal's reason and also keeps the part.
 */
import { createHash, type Hash } from "node:crypto";
import { open, stat, type FileHandle } from "node:fs/promises";
import { asUnreachable, fetchOrUnreachable, HostUnreachableError, RemoteStatusError } from "./fetch-or-unreachable.js";
import { feedHash } from "./inspect-local-copy.js";
import { PRIVATE_FILE_MODE } from "../shared/files/private-files.js";
import { DOWNLOAD_SILENCE_MS, watchSilence, type SilenceWatch } from "./watch-silence.js";

export interface PartDownload {
  url: string;
  partPath: string;
  /** Expected size; undefined when the server did not say. */
  size: number | undefined;
  headers: Record<string, string>;
  signal?: AbortSignal;
  /** Called at the start (with what a resume already has) and after every chunk. */
  onProgress(done: number, total: number | undefined): void;
  /** Longest wait for the headers or the next chunk (default DOWNLOAD_SILENCE_MS). */
  silenceMs?: number;
}

export interface PartResult {
  sha256: string;
  size: number;
  /** Bytes an earlier run had already downloaded. */
  resumedFrom: number;
}

/** Retries in a row, each after a break that still brought bytes; then the error is the caller's. */
const MAX_ATTEMPTS = 10;

export async function downloadToPartFile(download: PartDownload): Promise<PartResult> {
  const state = { offset: await usableLength(download), hash: createHash("sha256") };
  const resumedFrom = state.offset;
  try {
    await feedHash(state.hash, download.partPath, { end: state.offset, ...(download.signal ? { signal: download.signal } : {}) });
  } catch (error) {
    throw download.signal?.aborted ? download.signal.reason : error;
  }
  const handle = await open(download.partPath, state.offset > 0 ? "r+" : "w", PRIVATE_FILE_MODE);
  try {
    download.onProgress(state.offset, download.size);
    for (let attempt = 1; download.size === undefined || state.offset < download.size; attempt++) {
      const before = state.offset;
      try {
        const complete = await fetchRest(handle, state, download);
        if (complete) break;
        throw new HostUnreachableError(`the connection closed after ${state.offset} of ${download.size} bytes`);
      } catch (error) {
        if (download.signal?.aborted) throw download.signal.reason;
        if (!(error instanceof HostUnreachableError) || state.offset === before || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  } finally {
    await handle.close();
  }
  return { sha256: state.hash.digest("hex"), size: state.offset, resumedFrom };
}

/** How much of an existing part can be kept: all of it, unless it is longer than the file. */
async function usableLength(download: PartDownload): Promise<number> {
  const length = (await stat(download.partPath).catch(() => undefined))?.size ?? 0;
  return download.size !== undefined && length > download.size ? 0 : length;
}

/**
 * One GET from `state.offset` to the end, given up as a HostUnreachableError when the headers or the
 * next chunk take longer than the silence limit (a stalled CDN). Resolves true when the body ended
 * where the file does.
 */
async function fetchRest(handle: FileHandle, state: { offset: number; hash: Hash }, download: PartDownload): Promise<boolean> {
  const watch = watchSilence(download.silenceMs ?? DOWNLOAD_SILENCE_MS, download.signal);
  try {
    return await fetchRestWatched(handle, state, download, watch);
  } catch (error) {
    const silence = watch.timedOut();
    throw silence === undefined ? error : new HostUnreachableError(silence, { cause: error });
  } finally {
    watch.stop();
  }
}

async function fetchRestWatched(handle: FileHandle, state: { offset: number; hash: Hash }, download: PartDownload, watch: SilenceWatch): Promise<boolean> {
  const headers: Record<string, string> = { ...download.headers, "Accept-Encoding": "identity" };
  if (state.offset > 0) headers.Range = `bytes=${state.offset}-`;
  const response = await fetchOrUnreachable(download.url, { headers, signal: watch.signal });
  watch.touch();
  if (!response.ok || !response.body) throw new RemoteStatusError(response);
  if (state.offset > 0 && (response.status !== 206 || !response.headers.get("content-range")?.startsWith(`bytes ${state.offset}-`))) {
    // The server sent the whole file, or another range: appending it would splice two copies together.
    await response.body.cancel();
    state.offset = 0;
    state.hash = createHash("sha256");
    await handle.truncate(0);
    return fetchRestWatched(handle, state, download, watch);
  }
  try {
    for await (const chunk of response.body) {
      watch.touch();
      // Hash what is on disk, in order: a retry after a break continues the same hash.
      await handle.write(chunk, 0, chunk.length, state.offset);
      state.offset += chunk.length;
      state.hash.update(chunk);
      download.onProgress(state.offset, download.size);
    }
  } catch (error) {
    throw asUnreachable(error, watch.signal);
  }
  return download.size === undefined || state.offset >= download.size;
}
