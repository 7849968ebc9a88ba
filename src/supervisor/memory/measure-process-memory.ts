/**
 * What a running model server takes in memory: the resident set (RSS) of its process and everything
 * it started (a venv's python, a wrapper script's child), summed. Linux reads /proc; elsewhere (macOS)
 * one `ps`. Every probe may fail: undefined then, never a guess.
 */
import { readdir, readFile } from "node:fs/promises";
import { platform } from "node:os";

/** One process as `ps -A -o pid=,ppid=,pgid=,rss=` shows it; rss in bytes. */
export interface ProcessRow {
  pid: number;
  ppid: number;
  pgid: number;
  rssBytes: number;
}

export interface MeasureProcessDeps {
  platform: NodeJS.Platform;
  readdir(path: string): Promise<string[]>;
  readFile(path: string): Promise<string>;
  /** `ps -A -o pid=,ppid=,pgid=,rss=`'s output. */
  ps(): Promise<string>;
}

export const defaultMeasureProcessDeps = (): MeasureProcessDeps => ({
  platform: platform(),
  readdir: (path) => readdir(path),
  readFile: (path) => readFile(path, "utf8"),
  // execa is loaded when a server is measured, not when mallex starts.
  ps: async () => (await (await import("execa")).execa("ps", ["-A", "-o", "pid=,ppid=,pgid=,rss="])).stdout,
});

/** RSS in bytes of the process and its descendants (and its process group, when it leads one); undefined when unknown. */
export async function measureProcessTree(pid: number, deps: MeasureProcessDeps = defaultMeasureProcessDeps()): Promise<number | undefined> {
  try {
    const rows = deps.platform === "linux" ? await readProcRows(deps) : parsePsRows(await deps.ps());
    return sumTreeRss(rows, pid);
  } catch {
    return undefined;
  }
}

/** The tree under pid (by parent), plus the members of pid's process group: undefined when pid is not among the rows. */
export function sumTreeRss(rows: readonly ProcessRow[], pid: number): number | undefined {
  const root = rows.find((row) => row.pid === pid);
  if (!root) return undefined;
  const members = new Set<number>([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const row of rows) {
      if (members.has(row.pid)) continue;
      if (members.has(row.ppid) || (root.pgid === pid && row.pgid === pid)) {
        members.add(row.pid);
        grew = true;
      }
    }
  }
  return rows.filter((row) => members.has(row.pid)).reduce((sum, row) => sum + row.rssBytes, 0);
}

/** `  123     1   123  20480` lines (rss in KiB) → rows; malformed lines are skipped. */
export function parsePsRows(text: string): ProcessRow[] {
  const rows: ProcessRow[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/).map(Number);
    if (fields.length !== 4 || fields.some((n) => !Number.isInteger(n))) continue;
    const [pid, ppid, pgid, rssKib] = fields as [number, number, number, number];
    rows.push({ pid, ppid, pgid, rssBytes: rssKib * 1024 });
  }
  return rows;
}

/** /proc/<pid>/stat for the parent and group, /proc/<pid>/status VmRSS for the size; a process gone meanwhile is skipped. */
async function readProcRows(deps: MeasureProcessDeps): Promise<ProcessRow[]> {
  const pids = (await deps.readdir("/proc")).filter((name) => /^\d+$/.test(name));
  const rows = await Promise.all(
    pids.map(async (name): Promise<ProcessRow | undefined> => {
      try {
        const [stat, status] = await Promise.all([deps.readFile(`/proc/${name}/stat`), deps.readFile(`/proc/${name}/status`)]);
        return parseProcRow(Number(name), stat, status);
      } catch {
        return undefined;
      }
    }),
  );
  return rows.filter((row): row is ProcessRow => row !== undefined);
}

/** The command name in stat is in parentheses and may hold spaces: the fields after its last ")" are fixed. */
export function parseProcRow(pid: number, stat: string, status: string): ProcessRow | undefined {
  const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ppid = Number(after[1]);
  const pgid = Number(after[2]);
  const rss = /^VmRSS:\s+(\d+)\s*kB/m.exec(status);
  if (!Number.isInteger(ppid) || !Number.isInteger(pgid)) return undefined;
  // A zombie or kernel thread has no VmRSS: it holds no memory.
  return { pid, ppid, pgid, rssBytes: rss?.[1] ? Number(rss[1]) * 1024 : 0 };
}
