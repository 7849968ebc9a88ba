/**
 * MALLEX_HOME/servers/<key>@<pid>.json: one file per running supervised server, so another terminal
 * (`mallex server status|stop`) can find it. Written once the process is started, removed when it
 * stops; a pidfile that disappears while the server runs means "stopped from outside".
 *
 * Named by the server's own pid as well as its key: two mallex sharing a MALLEX_HOME (two `mallex
 * run` in two terminals, same config) each run a server of the same key, and each needs its own
 * record. Which mallex supervises a server is in the record (mallexPid and its start time), so that
 * one mallex's cleanup and orphan reaping never touches a server whose owner still runs. A record an
 * older mallex wrote as `<key>.json` is read like the others.
 *
 * A server kept running after its `mallex run` ended (on_exit: keep) has `kept: true` and no owner
 * (mallexPid 0): it is no orphan, and the next supervisor with the same key and command adopts it.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../shared/files/write-file-atomic.js";
import { isSameProcess, isStampAlive, stampOf, systemProcessInspector, type ProcessInspector } from "./process-identity.js";
import { makePrivateDir } from "../../shared/files/private-files.js";

export interface ServerPidfile {
  key: string;
  pid: number;
  port: number;
  baseUrl: string;
  /** The command line as displayed. */
  command: string;
  /** The exact argv started: the identity check compares it with the live process. */
  argv: string[];
  model: string;
  /** ISO time. */
  startedAt: string;
  /** The mallex process that supervises it; 0 while it is kept with no owner. */
  mallexPid: number;
  /** That mallex's start time (ProcessInspector.startTime): a recycled mallexPid is not the owner. */
  mallexStartTime?: string;
  /** Started as a process-group leader: stop signals -pid. */
  processGroup: boolean;
  /** Kept running after its session (on_exit: keep): waiting to be adopted by the next mallex. */
  kept?: boolean;
}

export type PidfileEntry = { file: string; record: ServerPidfile } | { file: string; error: string };

/** alive: the recorded process runs; stale: nothing runs under that pid; foreign: the pid now belongs to another program. */
export type ServerLiveness = "alive" | "stale" | "foreign";

/** alive: the mallex that supervises it runs; gone: it died (or its pid is another process's now); none: kept, no owner. */
export type OwnerLiveness = "alive" | "gone" | "none";

export function serversDir(mallexHome: string): string {
  return join(mallexHome, "servers");
}

/** The record of the server `pid` runs for `key` (`@` never occurs in a key made safe for a name). */
export function pidfilePath(mallexHome: string, key: string, pid: number): string {
  return join(serversDir(mallexHome), `${key.replace(/[^A-Za-z0-9._-]+/g, "_")}@${pid}.json`);
}

/** Written atomically (temp file + rename): a reader never sees half a record. */
export function writePidfile(mallexHome: string, record: ServerPidfile): string {
  const file = pidfilePath(mallexHome, record.key, record.pid);
  makePrivateDir(serversDir(mallexHome));
  writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

export function readPidfile(file: string): ServerPidfile | undefined {
  try {
    return parseRecord(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return undefined;
  }
}

/** Removes the pidfile of `key`'s server `pid`, only if it still describes that server. */
export function removePidfile(mallexHome: string, key: string, pid: number): void {
  removePidfileAt(pidfilePath(mallexHome, key, pid), pid);
}

/** Removes `file` only if it still describes `pid` (one written since, for another server, is left alone). */
export function removePidfileAt(file: string, pid: number): void {
  if (readPidfile(file)?.pid === pid) rmSync(file, { force: true });
}

/** The readable records of `key`'s servers, whichever mallex wrote them (several can run one each). */
export function pidfilesOf(mallexHome: string, key: string): { file: string; record: ServerPidfile }[] {
  return readPidfiles(mallexHome).flatMap((entry) => ("record" in entry && entry.record.key === key ? [entry] : []));
}

/** Every pidfile under MALLEX_HOME/servers, in key order; unreadable ones are reported, not skipped. */
export function readPidfiles(mallexHome: string): PidfileEntry[] {
  let names: string[];
  try {
    names = readdirSync(serversDir(mallexHome))
      .filter((name) => name.endsWith(".json"))
      .sort();
  } catch {
    return [];
  }
  return names.map((name) => {
    const file = join(serversDir(mallexHome), name);
    try {
      const record = parseRecord(JSON.parse(readFileSync(file, "utf8")));
      return record ? { file, record } : { file, error: "not a mallex server record" };
    } catch (error) {
      return { file, error: (error as Error).message };
    }
  });
}

export function livenessOf(record: ServerPidfile, inspector: ProcessInspector = systemProcessInspector): ServerLiveness {
  if (!inspector.isAlive(record.pid)) return "stale";
  return isSameProcess(record.pid, record.argv, inspector) ? "alive" : "foreign";
}

/** Whether the mallex recorded as the owner still runs: same pid and, when recorded, same start time. */
export function ownerLivenessOf(record: ServerPidfile, inspector: ProcessInspector = systemProcessInspector): OwnerLiveness {
  if (record.mallexPid <= 0) return "none";
  const stamp = { pid: record.mallexPid, ...(record.mallexStartTime !== undefined ? { startTime: record.mallexStartTime } : {}) };
  return isStampAlive(stamp, inspector) ? "alive" : "gone";
}

/** This process's identity as an owner, for the pidfile. */
export function ownerIdentity(mallexPid: number, inspector: ProcessInspector = systemProcessInspector): Pick<ServerPidfile, "mallexPid" | "mallexStartTime"> {
  const { startTime } = stampOf(mallexPid, inspector);
  return { mallexPid, ...(startTime !== undefined ? { mallexStartTime: startTime } : {}) };
}

function parseRecord(value: unknown): ServerPidfile | undefined {
  const r = value as Partial<ServerPidfile> | null;
  if (typeof r !== "object" || r === null) return undefined;
  if (typeof r.key !== "string" || !Number.isInteger(r.pid) || !Number.isInteger(r.port) || !Array.isArray(r.argv)) return undefined;
  if (!r.argv.every((word) => typeof word === "string") || (r.pid as number) <= 0) return undefined;
  return {
    key: r.key,
    pid: r.pid as number,
    port: r.port as number,
    baseUrl: typeof r.baseUrl === "string" ? r.baseUrl : `http://127.0.0.1:${r.port}/v1`,
    command: typeof r.command === "string" ? r.command : r.argv.join(" "),
    argv: r.argv,
    model: typeof r.model === "string" ? r.model : "",
    startedAt: typeof r.startedAt === "string" ? r.startedAt : "",
    mallexPid: Number.isInteger(r.mallexPid) ? (r.mallexPid as number) : 0,
    ...(typeof r.mallexStartTime === "string" ? { mallexStartTime: r.mallexStartTime } : {}),
    processGroup: r.processGroup === true,
    ...(r.kept === true ? { kept: true } : {}),
  };
}
