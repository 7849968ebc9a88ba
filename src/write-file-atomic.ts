import { renameSync, rmSync, writeFileSync } from "node:fs";

/** Writes through a temporary file beside the target and a rename: a reader never sees half a file. */
export function writeFileAtomic(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, text);
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
