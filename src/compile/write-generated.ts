import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../write-file-atomic.js";
import { ROUTING_TABLE_FILE } from "./emit-generated.js";

/**
 * Writes the rendered files into outDir, each atomically, so a mallex starting meanwhile never reads
 * half a file. The routing table goes last: it holds the input hash the runtime trusts, so it is only
 * current once everything it describes is. Returns why it could not write (the system's words).
 */
export function writeGeneratedFiles(outDir: string, files: Readonly<Record<string, string>>): string | undefined {
  const names = Object.keys(files).sort((a, b) => Number(a === ROUTING_TABLE_FILE) - Number(b === ROUTING_TABLE_FILE));
  try {
    mkdirSync(outDir, { recursive: true });
    for (const name of names) writeFileAtomic(join(outDir, name), files[name] ?? "");
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
