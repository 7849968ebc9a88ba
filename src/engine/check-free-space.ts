import { statfs } from "node:fs/promises";
import { MallexError } from "../shared/mallex-error.js";

/** Left free beyond the file itself: a disk filled to the last byte breaks everything else on it. */
export const FREE_SPACE_MARGIN_BYTES = 512 * 1024 * 1024;

/** The bytes an unprivileged process may still write under `dir` (statfs: available blocks × block size). */
export async function freeBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

/**
 * Refuses a download the disk cannot hold before a byte of it is written: the size a server declares
 * (an 11 TB Content-Length included) less what a resumable part already has, plus a margin, against
 * the free space where it goes. Nothing to check when the server did not say a size.
 */
export async function checkFreeSpace(options: {
  label: string;
  dir: string;
  size: number | undefined;
  alreadyHave: number;
  free?: (dir: string) => Promise<number>;
}): Promise<void> {
  if (options.size === undefined) return;
  const needed = Math.max(0, options.size - options.alreadyHave);
  const free = await (options.free ?? freeBytes)(options.dir);
  if (needed + FREE_SPACE_MARGIN_BYTES <= free) return;
  throw new MallexError(
    "E_MODEL_SOURCE",
    `cannot download ${options.label}: it needs ${formatBytes(needed)} more but ${options.dir} has ${formatBytes(free)} free (and mallex keeps ${formatBytes(FREE_SPACE_MARGIN_BYTES)} spare); free some space, or point MALLEX_HOME at a bigger disk`,
  );
}

function formatBytes(bytes: number): string {
  const units = ["bytes", "KB", "MB", "GB", "TB", "PB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}
