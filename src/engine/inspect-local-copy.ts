/**
 * Whether a downloaded model file can be used without hashing it again. Each verified download
 * leaves `<file>.sha256` beside it (sha256sum's format, so `sha256sum -c` checks it by hand too),
 * written after the file's last byte. A start-up then needs two stat calls, not a read of many GB:
 * the file is trusted while it is not newer than its sidecar. A file changed after it was verified
 * (mtime past the sidecar's) is hashed again against the recorded sum, which needs no network.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, rm, stat, utimes } from "node:fs/promises";
import { basename } from "node:path";
import { writeFileAtomic } from "../shared/files/write-file-atomic.js";

export type LocalCopy =
  | { state: "missing" }
  /** Verified when downloaded and not modified since. */
  | { state: "verified"; sha256: string }
  /** Verified once, modified since: hash it and compare with `sha256`. */
  | { state: "changed"; sha256: string }
  /** A file with no (readable) sidecar: put there by hand, or its sidecar was deleted. */
  | { state: "unverified" };

const SHA256 = /^[0-9a-f]{64}$/;

export function sidecarPath(path: string): string {
  return `${path}.sha256`;
}

export async function inspectLocalCopy(path: string): Promise<LocalCopy> {
  const file = await stat(path).catch(() => undefined);
  if (!file?.isFile()) return { state: "missing" };
  const [sidecar, text] = await Promise.all([stat(sidecarPath(path)).catch(() => undefined), readFile(sidecarPath(path), "utf8").catch(() => undefined)]);
  const sha256 = text?.split(/\s/, 1)[0]?.toLowerCase();
  if (sidecar === undefined || sha256 === undefined || !SHA256.test(sha256)) return { state: "unverified" };
  return file.mtimeMs <= sidecar.mtimeMs ? { state: "verified", sha256 } : { state: "changed", sha256 };
}

/**
 * Records a verified file's sha256. The sidecar's mtime ends up past the file's, even one stamped in
 * the future, or a file touched once would be hashed again on every start.
 */
export async function writeSidecar(path: string, sha256: string): Promise<void> {
  writeFileAtomic(sidecarPath(path), `${sha256}  ${basename(path)}\n`);
  const [file, sidecar] = await Promise.all([stat(path).catch(() => undefined), stat(sidecarPath(path))]);
  if (file && file.mtimeMs >= sidecar.mtimeMs) await utimes(sidecarPath(path), sidecar.atime, (Math.ceil(file.mtimeMs) + 1) / 1000);
}

/** Deletes a model file and its sidecar (a file that no longer matches what was verified). */
export async function removeLocalCopy(path: string): Promise<void> {
  await rm(path, { force: true });
  await rm(sidecarPath(path), { force: true });
}

/** The sha256 of a file's bytes, `end` bytes of it when given (the head of a partial download). */
export async function hashFile(path: string, options: { end?: number; signal?: AbortSignal } = {}): Promise<string> {
  const hash = createHash("sha256");
  await feedHash(hash, path, options);
  return hash.digest("hex");
}

export async function feedHash(hash: ReturnType<typeof createHash>, path: string, options: { end?: number; signal?: AbortSignal } = {}): Promise<void> {
  if (options.end === 0) return;
  const stream = createReadStream(path, {
    ...(options.end !== undefined ? { end: options.end - 1 } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  for await (const chunk of stream) hash.update(chunk as Buffer);
}
