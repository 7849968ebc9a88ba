import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { resolveMallexHome } from "../shared/mallex-home.js";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The user's own config, `$MALLEX_HOME/mallex.yaml`: what `mallex run --setup` writes and uses, so
 * that a folder's mallex.yaml (a project's rules, or a clone of mallex itself) is never taken for it.
 */
export function userConfigPath(env: Env): string {
  return join(resolveMallexHome(env), "mallex.yaml");
}

/** `--config`, else ./mallex.yaml (this project's), else the user's ($MALLEX_HOME/mallex.yaml), else the default shipped with mallex. */
export function findConfig(explicit: string | undefined, cwd: string, packageRoot: string, env: Env = process.env): string {
  if (explicit) return resolve(cwd, explicit);
  const local = join(cwd, "mallex.yaml");
  if (existsSync(local)) return local;
  const user = userConfigPath(env);
  return existsSync(user) ? user : join(packageRoot, "mallex.yaml");
}

/** The config `mallex run --setup` uses and, the first time, writes: `--config`, else the user's. */
export function setupConfigPath(explicit: string | undefined, cwd: string, env: Env): string {
  return explicit ? resolve(cwd, explicit) : userConfigPath(env);
}
