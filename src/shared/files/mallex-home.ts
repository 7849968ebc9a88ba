import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Where mallex keeps state and logs: $MALLEX_HOME, else ~/.mallex. */
export function resolveMallexHome(env: Readonly<Record<string, string | undefined>>): string {
  return env.MALLEX_HOME ? resolve(env.MALLEX_HOME) : join(homedir(), ".mallex");
}

/**
 * The folder where the servers mallex starts (llama-server, the embedded engine) keep their slots'
 * saved prompt caches (--slot-save-path): the stable prefix prefilled once survives a restart.
 */
export function slotSaveDir(mallexHome: string): string {
  return join(mallexHome, "prompt-cache");
}
