import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { makePrivateDir } from "../../shared/files/private-files.js";
import { isStampAlive, type ProcessInspector, type ProcessStamp, systemProcessInspector } from "./process-identity.js";
import { writeFileAtomic } from "../../shared/files/write-file-atomic.js";

/**
 * Where each running mallex listens, in MALLEX_HOME/proxies/<pid>.json: how `mallex status` (and
 * `mallex server status`, to name a server's mallex) find them from another terminal, whatever free
 * port each took. One file per process, so two `mallex run` in two terminals never overwrite each
 * other's; each removes its own at its end. A mallex killed before it could (SIGKILL) leaves its
 * file: the pid and start time in it tell it from a live one (or from a later process that got the
 * same pid), and readers drop it.
 *
 * An older mallex wrote one MALLEX_HOME/proxy.json, the last started winning: it is read as one
 * more record while its pid runs (it has no start time to check), and removed once it does not.
 */
export interface ProxyRecord extends ProcessStamp {
  url: string;
  /** ISO time. */
  startedAt: string;
  /** The token `mallex run` made for its session (none other is ever written): the file is the user's alone (0600). */
  token?: string;
  /** The files its config was merged from, in the words every command prints them (absolute paths). */
  config?: string;
}

/** A record as found: its file, and whether an older mallex wrote it (proxy.json). */
export interface ProxyEntry {
  file: string;
  record: ProxyRecord;
  legacy: boolean;
}

export const proxiesDir = (home: string): string => join(home, "proxies");
export const proxyRecordPath = (home: string, pid: number): string => join(proxiesDir(home), `${pid}.json`);
/** The single file of mallex versions before records per process. */
export const legacyProxyPath = (home: string): string => join(home, "proxy.json");

export function writeProxyRecord(home: string, record: ProxyRecord): string {
  const file = proxyRecordPath(home, record.pid);
  makePrivateDir(proxiesDir(home));
  writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

/** Removes this process's record, only while it still describes it (same pid and start time). */
export function removeProxyRecord(home: string, stamp: ProcessStamp): void {
  const file = proxyRecordPath(home, stamp.pid);
  const record = readRecord(file);
  if (record?.pid === stamp.pid && record.startTime === stamp.startTime) rmSync(file, { force: true });
}

/** Every readable record, oldest first (a file that is not one, written by hand, is skipped). */
export function readProxyRecords(home: string): ProxyEntry[] {
  let names: string[] = [];
  try {
    names = readdirSync(proxiesDir(home)).filter((name) => /^\d+\.json$/.test(name));
  } catch {
    // no mallex of this version ran here yet
  }
  const entries: ProxyEntry[] = [];
  for (const name of names) {
    const file = join(proxiesDir(home), name);
    const record = readRecord(file);
    if (record !== undefined) entries.push({ file, record, legacy: false });
  }
  const legacy = readRecord(legacyProxyPath(home));
  // An older mallex's record names a pid that a newer one also recorded only if that pid was reused: the newer wins.
  if (legacy !== undefined && !entries.some((entry) => entry.record.pid === legacy.pid))
    entries.push({ file: legacyProxyPath(home), record: legacy, legacy: true });
  return entries.sort((a, b) => a.record.startedAt.localeCompare(b.record.startedAt) || a.record.pid - b.record.pid);
}

/**
 * The records of the mallex processes that run; the files of those that do not (killed, or their
 * pid now another process's) are removed. A file replaced meanwhile by a live mallex is left alone.
 */
export function liveProxies(home: string, inspector: ProcessInspector = systemProcessInspector): ProxyEntry[] {
  const live: ProxyEntry[] = [];
  for (const entry of readProxyRecords(home)) {
    if (isStampAlive(entry.record, inspector)) {
      live.push(entry);
      continue;
    }
    const now = readRecord(entry.file);
    if (now?.pid === entry.record.pid && now.startTime === entry.record.startTime) rmSync(entry.file, { force: true });
  }
  return live;
}

function readRecord(file: string): ProxyRecord | undefined {
  try {
    return parseRecord(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return undefined;
  }
}

function parseRecord(value: unknown): ProxyRecord | undefined {
  const r = value as Partial<ProxyRecord> | null;
  if (typeof r !== "object" || r === null || typeof r.url !== "string" || !Number.isInteger(r.pid) || (r.pid as number) <= 0) return undefined;
  return {
    url: r.url,
    pid: r.pid as number,
    ...(typeof r.startTime === "string" ? { startTime: r.startTime } : {}),
    startedAt: typeof r.startedAt === "string" ? r.startedAt : "",
    ...(typeof r.token === "string" ? { token: r.token } : {}),
    ...(typeof r.config === "string" ? { config: r.config } : {}),
  };
}
