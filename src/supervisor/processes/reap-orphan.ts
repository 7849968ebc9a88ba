/**
 * A server left running by a mallex that died without cleaning up (SIGKILL, a crash): its pidfile
 * names a mallexPid that no longer runs. Stop it (identity-checked) before starting a new one, so
 * two copies of a large model never sit in memory. A kept server (on_exit: keep; no owner) is no
 * orphan: the supervisor adopts it first (adopt-kept.ts), or stops it when it cannot (another command,
 * not answering); one still kept when a start gets here is stopped like an orphan.
 *
 * A server of the same key whose mallex still runs is that mallex's (two sessions on one
 * MALLEX_HOME): it is never touched, whatever this mallex starts.
 */
import { livenessOf, ownerLivenessOf, pidfilesOf, removePidfileAt, type ServerPidfile } from "./pidfile.js";
import type { ProcessInspector } from "./process-identity.js";
import { stopProcess } from "./stop-process.js";

/** Returns the records of the orphans of `key` it stopped (their records, and those of servers already gone, are removed). */
export async function reapOrphans(mallexHome: string, key: string, inspector: ProcessInspector, ownPid: number): Promise<ServerPidfile[]> {
  const stopped: ServerPidfile[] = [];
  for (const { file, record } of pidfilesOf(mallexHome, key)) {
    if (record.mallexPid === ownPid) continue;
    if (ownerLivenessOf(record, inspector) === "alive") continue; // another mallex runs it
    const liveness = livenessOf(record, inspector);
    if (liveness === "alive") {
      await stopProcess(record.pid, { group: record.processGroup, timeoutMs: 5000, deps: { inspector } });
      stopped.push(record);
    }
    removePidfileAt(file, record.pid);
  }
  return stopped;
}
