import { isAbsolute, relative } from "node:path";

/** A path as a command shows it: relative to `cwd` where it lies under it, else absolute. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}
