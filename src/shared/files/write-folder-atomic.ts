import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { makePrivateDirAsync, PRIVATE_FILE_MODE } from "./private-files.js";

/** How often a swap is tried again when another writer put its folder in place between our two renames. */
const SWAP_ATTEMPTS = 20;

/**
 * Replaces the folder `dir` with one holding exactly `files` (0600, in a 0700 folder), so that files
 * of two sets are never mixed there — not for a reader, nor when another process writes its own set
 * at the same moment (two mallex on one MALLEX_HOME, each saving its last request): the set is
 * written into a fresh sibling folder (freshSiblingDir), then swapped in (swapFolderIn).
 */
export async function writeFolderAtomicAsync(dir: string, files: Readonly<Record<string, string>>): Promise<void> {
  const fresh = await freshSiblingDir(dir);
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(fresh, name), text, { mode: PRIVATE_FILE_MODE });
    await swapFolderIn(fresh, dir);
  } finally {
    await rm(fresh, { recursive: true, force: true });
  }
}

/** An empty 0700 folder beside `dir` (its parent made 0700 if it is new), named after it with a leading dot so a listing of the parent hides it. */
export async function freshSiblingDir(dir: string): Promise<string> {
  const parent = dirname(dir);
  await makePrivateDirAsync(parent);
  return mkdtemp(join(parent, `.${basename(dir)}.new-`));
}

/**
 * Puts the folder `fresh` in `dir`'s place by two renames (the old folder aside, the new one in), and
 * removes the one it replaced. Between them `dir` is absent for a moment: a reader then finds none,
 * never half of one. Another writer's folder landing in between is moved aside too (ours is newer).
 */
export async function swapFolderIn(fresh: string, dir: string): Promise<void> {
  const aside: string[] = [];
  try {
    for (let attempt = 1; ; attempt++) {
      const old = `${fresh}.old${attempt}`;
      try {
        await rename(dir, old);
        aside.push(old);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
      try {
        await rename(fresh, dir);
        return;
      } catch (error) {
        // Another writer's folder landed in between: move it aside too (ours is newer) and try again.
        const code = (error as NodeJS.ErrnoException).code;
        if ((code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "EPERM") || attempt >= SWAP_ATTEMPTS) throw error;
      }
    }
  } finally {
    await Promise.all(aside.map((path) => rm(path, { recursive: true, force: true })));
  }
}
