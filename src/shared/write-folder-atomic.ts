import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { makePrivateDirAsync, PRIVATE_FILE_MODE } from "./private-files.js";

/** How often a swap is tried again when another writer put its folder in place between our two renames. */
const SWAP_ATTEMPTS = 20;

/**
 * Replaces the folder `dir` with one holding exactly `files` (0600, in a 0700 folder), so that files
 * of two sets are never mixed there — not for a reader, nor when another process writes its own set
 * at the same moment (two mallex on one MALLEX_HOME, each saving its last request): the set is
 * written into a fresh sibling folder, then swapped in by two renames (the old folder aside, the new
 * one in). Between them `dir` is absent for a moment: a reader then finds no set, never half of one.
 */
export async function writeFolderAtomicAsync(dir: string, files: Readonly<Record<string, string>>): Promise<void> {
  const parent = dirname(dir);
  await makePrivateDirAsync(parent);
  // mkdtemp makes it 0700; the leading dot keeps it out of a listing of the home.
  const fresh = await mkdtemp(join(parent, `.${basename(dir)}.new-`));
  const aside: string[] = [];
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(fresh, name), text, { mode: PRIVATE_FILE_MODE });
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
    await Promise.all([fresh, ...aside].map((path) => rm(path, { recursive: true, force: true })));
  }
}
