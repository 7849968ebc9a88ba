import { renameSync, rmSync, writeFileSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import { PRIVATE_FILE_MODE } from "./private-files.js";

export interface WriteFileOptions {
  /**
   * The file's mode. Default 0600 (private-files.ts): most files mallex writes are in MALLEX_HOME;
   * a file meant for the project (generated/) passes 0o666, which the umask then narrows as usual.
   */
  mode?: number;
}

/** Writes through a temporary file beside the target and a rename: a reader never sees half a file. */
export function writeFileAtomic(file: string, text: string, options: WriteFileOptions = {}): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    // The temporary file is made with the mode, so the content is never readable to others, not even for a moment.
    writeFileSync(temp, text, { mode: options.mode ?? PRIVATE_FILE_MODE });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** {@link writeFileAtomic} off the event loop: for writes a server makes while it serves requests. */
export async function writeFileAtomicAsync(file: string, text: string, options: WriteFileOptions = {}): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temp, text, { mode: options.mode ?? PRIVATE_FILE_MODE });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
