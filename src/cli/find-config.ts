import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/** `--config`, else ./mallex.yaml, else the default shipped with mallex. */
export function findConfig(explicit: string | undefined, cwd: string, packageRoot: string): string {
  if (explicit) return resolve(cwd, explicit);
  const local = join(cwd, "mallex.yaml");
  return existsSync(local) ? local : join(packageRoot, "mallex.yaml");
}
