import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * Claude Code's executable: `claude` on PATH, else the one installed beside mallex (its pinned
 * devDependency, or a sibling dependency), else undefined — the caller then runs it through npx.
 */
export function findClaude(env: Readonly<Record<string, string | undefined>>, packageRoot: string): string | undefined {
  const candidates = [
    ...(env.PATH ?? "")
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, "claude")),
    join(packageRoot, "node_modules", ".bin", "claude"),
    join(packageRoot, "..", ".bin", "claude"),
  ];
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
