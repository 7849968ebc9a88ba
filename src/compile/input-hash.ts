import { createHash } from "node:crypto";
import type { EnvLookup } from "../config/interpolate-env.js";
import { ROUTING_TABLE_FORMAT } from "./routing-table.js";

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/**
 * What a compile depends on: the table format, every source file's content, the values of the
 * environment variables it read, and the layers merged under its entry (a machine's settings that
 * appear or go change what a project's rules compile to). The runtime recomputes this to decide
 * whether to recompile.
 */
export function computeInputHash(
  sources: ReadonlyArray<{ path: string; sha256: string }>,
  envNames: readonly string[],
  env: EnvLookup,
  layers: readonly string[] = [],
): string {
  const envPart = envNames.map((name) => [name, sha256(env[name] ?? "")]);
  // No layers: the hash of a single file's table, as before layers existed.
  return sha256(JSON.stringify({ format: ROUTING_TABLE_FORMAT, sources, env: envPart, ...(layers.length > 0 ? { layers } : {}) }));
}
