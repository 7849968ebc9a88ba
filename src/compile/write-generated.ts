import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROUTING_TABLE_FILE } from "./emit-generated.js";

/**
 * Writes the rendered files into outDir, each through a temporary file and a rename, so a mallex
 * starting meanwhile never reads half a file. The routing table goes last: it holds the input hash
 * the runtime trusts, so it is only current once everything it describes is.
 * Returns why it could not write (the system's words), or undefined.
 */
export function writeGeneratedFiles(outDir: string, files: Readonly<Record<string, string>>): string | undefined {
  const names = Object.keys(files).sort((a, b) => Number(a === ROUTING_TABLE_FILE) - Number(b === ROUTING_TABLE_FILE));
  let temp: string | undefined;
  try {
    mkdirSync(outDir, { recursive: true });
    for (const name of names) {
      temp = join(outDir, `.${name}.${process.pid}.tmp`);
      writeFileSync(temp, files[name] ?? "");
      renameSync(temp, join(outDir, name));
      temp = undefined;
    }
    return undefined;
  } catch (error) {
    if (temp) rmSync(temp, { force: true });
    return (error as Error).message;
  }
}
