import { chmodSync, mkdirSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { isAbsolute, relative } from "node:path";

/**
 * MALLEX_HOME holds prompts (last-request/, mallex.log), tokens (proxies/) and what servers
 * printed: other local users must not read it. Every directory mallex makes there is 0700 and every
 * file 0600 (on systems without modes, Windows, these do nothing).
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** mkdir -p with 0700 for every directory it creates (an existing one is left as it is). */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * mkdir -p for the folder of a file mallex writes where the user says, such as the config `mallex
 * init` writes (`mallex run --setup` puts it in MALLEX_HOME): MALLEX_HOME itself, or a folder in it,
 * is made as mallex makes its own, so no later run finds a home that mallex left open and has to
 * tighten it (saying so, as if someone else had); any other folder is a plain one.
 */
export function makeFolderFor(dir: string, home: string): void {
  const rel = relative(home, dir);
  if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))) makePrivateDir(dir);
  else mkdirSync(dir, { recursive: true });
}

/** {@link makePrivateDir} off the event loop. */
export async function makePrivateDirAsync(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Creates MALLEX_HOME 0700, or takes group and other access away from one that an older mallex (or a
 * plain mkdir) made 0755. Returns a sentence for the user when it changed a mode, so the change is said
 * once; a home owned by another user, or a shared sticky directory such as /tmp, is never changed.
 */
export function securePrivateHome(home: string, platform: NodeJS.Platform = process.platform): string | undefined {
  makePrivateDir(home);
  if (platform === "win32") return undefined;
  const stats = statSync(home);
  const mode = stats.mode & 0o7777;
  if ((mode & 0o077) === 0) return undefined;
  const ours = typeof process.getuid !== "function" || stats.uid === process.getuid();
  if (!ours || (mode & 0o1000) !== 0)
    return `mallex: ${home} (MALLEX_HOME) can be read by other users (mode ${octal(mode)}) and is not yours to change: saved prompts and logs there are readable to them. Point MALLEX_HOME at a folder of your own.`;
  chmodSync(home, PRIVATE_DIR_MODE);
  return `mallex: made ${home} (MALLEX_HOME) private: mode ${octal(mode)} → 0700, since it holds prompts and logs.`;
}

const octal = (mode: number) => `0${mode.toString(8)}`;
