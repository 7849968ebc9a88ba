import { isAbsolute, join, relative, resolve } from "node:path";

/**
 * The included config files that lie outside the folder of the config that includes them (a
 * `../team/rules.yaml`, an absolute path): allowed, but `mallex compile` names each one, since a file
 * elsewhere changes what this config does. The shipped default (`include: [mallex]`) is not listed.
 *
 * @param files every config file read, absolute, the entry first (CompileConfigResult.configFiles)
 */
export function includesOutside(entry: string, files: readonly string[], packageRoot: string): string[] {
  const tree = resolve(entry, "..");
  const shipped = join(packageRoot, "mallex.yaml");
  return files.slice(1).filter((file) => {
    if (file === shipped) return false;
    const rel = relative(tree, file);
    return rel.startsWith("..") || isAbsolute(rel);
  });
}
