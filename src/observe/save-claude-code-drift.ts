import { dirname, join } from "node:path";
import { writeFileAtomicAsync } from "../shared/files/write-file-atomic.js";
import type { ClaudeCodeDrift } from "./claude-code-drift.js";
import { makePrivateDirAsync } from "../shared/files/private-files.js";

/** Where the last Claude Code drift a proxy saw is kept, for `mallex doctor`. */
export function claudeCodeDriftPath(mallexHome: string): string {
  return join(mallexHome, "claude-code-drift.json");
}

/**
 * Saves each drift to `file`, atomically and off the event loop, one write at a time (the latest
 * wins). A folder that cannot be written is told to `onError` once.
 */
export function createClaudeCodeDriftSaver(
  file: string,
  options: { onError(message: string): void },
): { save(drift: ClaudeCodeDrift): void; flush(): Promise<void> } {
  let writing: Promise<void> = Promise.resolve();
  let failed = false;
  const write = async (drift: ClaudeCodeDrift) => {
    try {
      await makePrivateDirAsync(dirname(file));
      await writeFileAtomicAsync(file, `${JSON.stringify(drift, null, 2)}\n`);
    } catch (error) {
      if (failed) return;
      failed = true;
      options.onError(`mallex: cannot save the Claude Code drift in ${file}: ${(error as Error).message}`);
    }
  };
  return {
    save(drift) {
      writing = writing.then(() => write(drift));
    },
    flush: () => writing,
  };
}

/** Pure: the saved drift, or undefined when the text is not one (a file from another mallex, or damaged). */
export function parseClaudeCodeDrift(text: string): ClaudeCodeDrift | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const drift = value as Partial<ClaudeCodeDrift> | null;
  if (typeof drift !== "object" || drift === null) return undefined;
  if (typeof drift.version !== "string" || typeof drift.at !== "string" || typeof drift.count !== "number") return undefined;
  if (!Array.isArray(drift.unplaced) || !drift.unplaced.every((item) => typeof item === "string")) return undefined;
  const checked = drift.checked;
  if (typeof checked?.oldest !== "string" || typeof checked.newest !== "string") return undefined;
  const where = drift.where === "older" || drift.where === "within" || drift.where === "newer" ? { where: drift.where } : {};
  return {
    version: drift.version,
    ...where,
    unplaced: drift.unplaced,
    count: drift.count,
    checked: { oldest: checked.oldest, newest: checked.newest },
    at: drift.at,
  };
}
