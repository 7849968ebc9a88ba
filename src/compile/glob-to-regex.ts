import type { CompiledRegex } from "./routing-table.js";

/** `claude-*-haiku*` → an anchored, case-insensitive regex; `*` is the only wildcard. */
export function globToRegex(glob: string): CompiledRegex {
  const source = glob
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return { source: `^${source}$`, flags: "i" };
}
