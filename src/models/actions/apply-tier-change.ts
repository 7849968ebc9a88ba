import { statSync } from "node:fs";
import { writeFileAtomic } from "../../shared/files/write-file-atomic.js";
import { readFields, refuse, type ActionResult } from "./action-result.js";
import { compileUserConfig, readUserConfig, type UserConfig } from "./user-config.js";

export interface TierChangeWritten {
  file: string;
  /** The file as it was before, kept beside it. */
  backup: string;
}

/**
 * Writes a planned change (planTierChange's `newText`) over the user's mallex.yaml, only if the file
 * is still the text the plan read (`hash`): an edit made meanwhile — in an editor, by `mallex init`,
 * another page — is never overwritten ("the file was edited meanwhile"). The text is compiled again
 * as `mallex compile` would (a request is not trusted to carry the plan's text unchanged); the old
 * file is kept as `<file>.bak` (the last one before the latest change); the new one is written
 * through a temporary file and a rename, with the old one's mode. Refused: nothing written.
 */
export function applyTierChange(body: unknown, config: UserConfig): ActionResult<TierChangeWritten> {
  const request = readFields(body, { required: ["hash", "newText"] });
  if (!request.ok) return request;
  const { hash, newText } = request.value;
  const current = readUserConfig(config);
  if (!current.ok) return current;
  if (current.value.hash !== hash)
    return refuse(409, `${config.file} was edited meanwhile (it is no longer the text this change was planned on): nothing was written; plan the change again`);
  const next = compileUserConfig(config, newText);
  if (!next.ok) return refuse(422, [`the new text would leave ${config.file} invalid, so it is not written:`, ...next.errors].join("\n"));
  const { path, text } = current.value;
  const backup = `${path}.bak`;
  try {
    const mode = statSync(path).mode & 0o777;
    writeFileAtomic(backup, text, { mode });
    writeFileAtomic(path, newText, { mode });
  } catch (error) {
    return refuse(409, `${path} cannot be written (${(error as Error).message})`);
  }
  return { ok: true, value: { file: path, backup } };
}
