import { join } from "node:path";
import { findPackageRoot } from "./package-root.js";

/**
 * The words that run this mallex as a child process (`{mallex}` in a server command): the same Node
 * and the package's own bin, so the embedded engine runs the version that started it, from any PATH.
 */
export function mallexArgv(packageRoot: string = findPackageRoot()): string[] {
  return [process.execPath, join(packageRoot, "bin", "mallex.js")];
}
