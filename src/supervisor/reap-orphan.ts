/**
 * A server left running by a mallex that died without cleaning up (SIGKILL, a crash): its pidfile
 * names a mallexPid that no longer runs. Stop it (identity-checked) before starting a new one, so
 * two copies of a large model never sit in memory. A kept server (on_exit: keep; no owner) is no
 * orphan: the supervisor adopts it first (adopt-kept.ts), or stops it when it cannot (another command,
 * not answering); one still kept when a start gets here is stopped like an orphan.
 */
import { rmSync } from "node:fs";
import { livenessOf, ownerLivenessOf, pidfilePath, readPidfile, type ServerPidfile } from "./pidfile.js";
import type { ProcessInspector } from "./process-identity.js";
import { stopProcess } from "./stop-process.js";

/** Returns the record of the orphan it stopped, if any. */
export async function reapOrphan(mallexHome: string, key: string, inspector: ProcessInspector, ownPid: number): Promise<ServerPidfile | undefined> {
  const file = pidfilePath(mallexHome, key);
  const record = readPidfile(file);
  if (!record || record.mallexPid === ownPid) return undefined;
  if (ownerLivenessOf(record, inspector) === "alive") return undefined; // another mallex runs it
  const liveness = livenessOf(record, inspector);
  if (liveness === "alive") await stopProcess(record.pid, { group: record.processGroup, timeoutMs: 5000, deps: { inspector } });
  rmSync(file, { force: true });
  return liveness === "alive" ? record : undefined;
}
