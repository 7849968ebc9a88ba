import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Where mallex keeps state and logs: $MALLEX_HOME, else ~/.mallex. */
export function resolveMallexHome(env: Readonly<Record<string, string | undefined>>): string {
  return env.MALLEX_HOME ? resolve(env.MALLEX_HOME) : join(homedir(), ".mallex");
}
