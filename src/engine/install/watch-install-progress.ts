import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { formatBytes } from "../format-download-progress.js";

export interface InstallProgressOptions {
  /** The folder npm installs into. */
  dir: string;
  label: string;
  print(line: string): void;
  /** How often the folder is measured (default 3 s). */
  everyMs?: number;
  now?: () => number;
}

/**
 * Progress of an npm install that prints none of its own when its output is not a terminal: npm
 * unpacks each package into node_modules as its tarball arrives, so the folder's size grows with the
 * download. A line each time it has grown since the last (`mallex: installing X: 212MB so far, 0:35`),
 * none while npm resolves or waits. Returns the function that stops it and gives the final size.
 */
export function watchInstallProgress(options: InstallProgressOptions): () => Promise<number> {
  const now = options.now ?? Date.now;
  const started = now();
  let shown = 0;
  let measuring: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    // One measurement at a time: a slow disk must not pile them up.
    measuring = measuring.then(async () => {
      const bytes = await folderBytes(options.dir);
      if (bytes <= shown) return;
      shown = bytes;
      options.print(`mallex: installing ${options.label}: ${formatBytes(bytes)} so far, ${clock(now() - started)}`);
    });
  }, options.everyMs ?? 3000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await measuring;
    return folderBytes(options.dir);
  };
}

/** The bytes of the files under `dir` (links not followed); 0 for a folder that is not there yet. */
export async function folderBytes(dir: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    // Not created yet, or removed while measured (npm moves folders as it works): nothing counted.
    return 0;
  }
  let total = 0;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(path);
    else if (entry.isFile())
      total += await lstat(path).then(
        (stats) => stats.size,
        () => 0,
      );
  }
  return total;
}

function clock(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
