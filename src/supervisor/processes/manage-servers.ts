/**
 * `mallex server status|stop` from any terminal: what the pidfiles under MALLEX_HOME say, checked
 * against the live processes. A PID is only signalled after its command line matched the record.
 * Servers kept running after their session (on_exit: keep) are listed and stopped the same way.
 * The owner is checked too: a server whose mallex is gone (killed without stopping it) is reported
 * as orphaned, never as that mallex's; `status` removes the records of servers that no longer run.
 * Several mallex can share MALLEX_HOME, each with its own servers (of the same key, when they run the
 * same config): every record is listed with its mallex, and a key selects all of its servers, a
 * server's pid just that one.
 */
import { rmSync } from "node:fs";
import { livenessOf, ownerLivenessOf, readPidfile, readPidfiles, type OwnerLiveness, type ServerLiveness, type ServerPidfile } from "./pidfile.js";
import { systemProcessInspector, type ProcessInspector } from "./process-identity.js";
import { stopProcess, type StopOutcome } from "./stop-process.js";

export interface ServerStatus {
  file: string;
  record?: ServerPidfile;
  /** Why the file could not be read, when it could not. */
  error?: string;
  liveness: ServerLiveness | "unreadable";
  /** Whether the mallex that supervises it still runs (none: kept, or unreadable; undefined: not checked). */
  owner?: OwnerLiveness;
  /** Since startedAt, when alive. */
  uptimeMs?: number;
  /** Its pidfile was removed (pruneStale): the server no longer runs. */
  removed?: boolean;
}

export interface ManageDeps {
  inspector: ProcessInspector;
  now(): number;
  stop(pid: number, options: { group: boolean; timeoutMs: number }): Promise<StopOutcome>;
}

const defaultDeps: ManageDeps = {
  inspector: systemProcessInspector,
  now: Date.now,
  stop: (pid, options) => stopProcess(pid, options),
};

export function listServers(mallexHome: string, deps: Partial<ManageDeps> = {}): ServerStatus[] {
  const { inspector, now } = { ...defaultDeps, ...deps };
  return readPidfiles(mallexHome).map((entry): ServerStatus => {
    if ("error" in entry) return { file: entry.file, error: entry.error, liveness: "unreadable", owner: "none" };
    const liveness = livenessOf(entry.record, inspector);
    const owner = ownerLivenessOf(entry.record, inspector);
    const started = Date.parse(entry.record.startedAt);
    return {
      file: entry.file,
      record: entry.record,
      liveness,
      owner,
      ...(liveness === "alive" && !Number.isNaN(started) ? { uptimeMs: now() - started } : {}),
    };
  });
}

/**
 * Removes the pidfiles of servers that no longer run (stale, or their pid is another program's):
 * records of a mallex that was killed before it could clean up. Only a file that still describes
 * the same pid is removed (a server started since keeps its own).
 */
export function pruneStale(statuses: readonly ServerStatus[]): ServerStatus[] {
  return statuses.map((status) => {
    if (!status.record || (status.liveness !== "stale" && status.liveness !== "foreign")) return status;
    if (readPidfile(status.file)?.pid !== status.record.pid) return status;
    rmSync(status.file, { force: true });
    return { ...status, removed: true };
  });
}

/** The server `selector` names: its key (every server of that key) or its pid; an unreadable record, its file. */
export function isSelected(status: ServerStatus, selector: string): boolean {
  if (status.record === undefined) return status.file === selector;
  return status.record.key === selector || String(status.record.pid) === selector;
}

/**
 * One line per server: `KEY  pid N  port N  MODEL  up 3m12s  alive  (mallex pid N)`, with where
 * that mallex listens when `proxyUrls` (by mallex pid) knows; a server kept running after its
 * session says so instead of naming a mallex, one whose mallex is gone says that, and a record
 * pruned by pruneStale ends with `; pidfile removed`.
 */
export function formatServerStatus(status: ServerStatus, proxyUrls: ReadonlyMap<number, string> = new Map()): string {
  if (!status.record) return `${status.file}: unreadable (${status.error})`;
  const r = status.record;
  const orphaned = status.liveness === "alive" && status.owner === "gone";
  const state =
    status.liveness === "alive"
      ? `up ${formatUptime(status.uptimeMs ?? 0)}  ${orphaned ? "alive, orphaned" : "alive"}`
      : status.liveness === "stale"
        ? "stale (not running)"
        : "stale (the pid now belongs to another program)";
  const owner = r.kept
    ? "kept: the next `mallex run` reuses it, `mallex server stop` stops it"
    : status.owner === "gone"
      ? `its mallex pid ${r.mallexPid} is gone${orphaned ? ": `mallex server stop` stops it" : ""}`
      : `mallex pid ${r.mallexPid}${proxyUrls.has(r.mallexPid) ? ` at ${proxyUrls.get(r.mallexPid)}` : ""}`;
  return `${r.key}  pid ${r.pid}  port ${r.port}  ${r.model}  ${state}  (${owner})${status.removed ? "; pidfile removed" : ""}`;
}

export interface StopReport {
  key: string;
  pid?: number;
  outcome: StopOutcome | "stale" | "foreign" | "unreadable";
}

/**
 * Stops every server (or those whose key or pid is given): the pidfile goes first, which tells the
 * mallex that supervises it not to restart it; then SIGTERM → wait → SIGKILL, identity-checked.
 */
export async function stopServers(
  mallexHome: string,
  options: { keys?: readonly string[]; timeoutMs?: number; deps?: Partial<ManageDeps> } = {},
): Promise<StopReport[]> {
  const deps = { ...defaultDeps, ...options.deps };
  const reports: StopReport[] = [];
  for (const status of listServers(mallexHome, deps)) {
    const key = status.record?.key ?? status.file;
    if (options.keys && options.keys.length > 0 && !options.keys.some((selector) => isSelected(status, selector))) continue;
    rmSync(status.file, { force: true });
    if (!status.record || status.liveness === "unreadable") {
      reports.push({ key, outcome: "unreadable" });
      continue;
    }
    const { pid, processGroup } = status.record;
    if (status.liveness !== "alive") {
      reports.push({ key, pid, outcome: status.liveness });
      continue;
    }
    reports.push({ key, pid, outcome: await deps.stop(pid, { group: processGroup, timeoutMs: options.timeoutMs ?? 10_000 }) });
  }
  return reports;
}

export function formatStopReport(report: StopReport): string {
  switch (report.outcome) {
    case "terminated":
      return `stopped ${report.key} (pid ${report.pid})`;
    case "killed":
      return `stopped ${report.key} (pid ${report.pid}) with SIGKILL: it ignored SIGTERM`;
    case "not-running":
    case "stale":
      return `${report.key}: pid ${report.pid} was not running; removed its pidfile`;
    case "foreign":
      return `${report.key}: pid ${report.pid} now belongs to another program; not signalled, removed the pidfile`;
    case "unreadable":
      return `${report.key}: unreadable pidfile removed`;
  }
}

function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const [h, m] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60)];
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}
