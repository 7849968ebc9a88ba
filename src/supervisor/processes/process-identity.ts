/**
 * Is a PID read from disk still the process we started? PIDs are recycled: before signalling one,
 * check that it is alive and that its command line is the one recorded when it was started. A
 * process whose command line is not known in advance (the mallex that owns a server) is told apart
 * by its start time instead.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { execFileSync } from "node:child_process";

export interface ProcessInspector {
  /** The process exists (and is not a zombie). */
  isAlive(pid: number): boolean;
  /** Its command line as argv (Linux: /proc/PID/cmdline), or as one string (elsewhere: `ps -o command=`); undefined when gone. */
  commandLine(pid: number): string[] | string | undefined;
  /**
   * When it started, as an opaque token equal for the same process and different for a later one
   * with the same pid (Linux: clock ticks since boot from /proc/PID/stat; elsewhere `ps -o lstart=`);
   * undefined when gone or unknown.
   */
  startTime?(pid: number): string | undefined;
}

export const systemProcessInspector: ProcessInspector = {
  isAlive(pid) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      // EPERM: it exists but belongs to someone else.
      if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
    }
    if (process.platform === "linux") {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
      } catch {
        return false;
      }
    }
    return true;
  },
  commandLine(pid) {
    if (process.platform === "linux") {
      try {
        const raw = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        return raw.split("\0").filter((word, i, all) => word !== "" || i < all.length - 1);
      } catch {
        return undefined;
      }
    }
    try {
      const text = execFileSync("ps", ["-ww", "-o", "command=", "-p", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
      return text === "" ? undefined : text;
    } catch {
      return undefined;
    }
  },
  startTime(pid) {
    if (process.platform === "linux") {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        // Field 22 (starttime), counted from the state (field 3) after the parenthesised command.
        return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
      } catch {
        return undefined;
      }
    }
    try {
      const text = execFileSync("ps", ["-o", "lstart=", "-p", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
      return text === "" ? undefined : text;
    } catch {
      return undefined;
    }
  },
};

/**
 * The running process `pid` was started from `argv`: its arguments end with argv's arguments and
 * its program (or, for a `#!` script, the script run by the interpreter) has argv[0]'s name.
 */
export function isSameProcess(pid: number, argv: readonly string[], inspector: ProcessInspector = systemProcessInspector): boolean {
  if (argv.length === 0 || !inspector.isAlive(pid)) return false;
  const actual = inspector.commandLine(pid);
  if (actual === undefined) return false;
  const program = basename(argv[0]!);
  const args = argv.slice(1);
  if (typeof actual === "string") {
    const tail = args.join(" ");
    return actual.endsWith(tail) && actual.slice(0, actual.length - tail.length).includes(program);
  }
  if (actual.length < argv.length) return false;
  const offset = actual.length - args.length;
  if (!args.every((arg, i) => actual[offset + i] === arg)) return false;
  return actual.slice(0, offset).some((word) => basename(word) === program || basename(word).startsWith(`${program}.`));
}

/**
 * A process as recorded on disk by a mallex about itself (its proxy record, the owner of a server):
 * its pid, and its start time where the system gives one, so that a later process that got the same
 * pid is not taken for it.
 */
export interface ProcessStamp {
  pid: number;
  /** ProcessInspector.startTime when it was recorded; absent where unknown (an older record). */
  startTime?: string;
}

/** `pid`'s stamp now: what a process writes about itself. */
export function stampOf(pid: number, inspector: ProcessInspector = systemProcessInspector): ProcessStamp {
  const startTime = pid > 0 ? inspector.startTime?.(pid) : undefined;
  return { pid, ...(startTime !== undefined ? { startTime } : {}) };
}

/**
 * The stamped process still runs: its pid is alive and, where a start time was recorded and can be
 * read now, it is the same (else the pid was recycled for another process).
 */
export function isStampAlive(stamp: ProcessStamp, inspector: ProcessInspector = systemProcessInspector): boolean {
  if (stamp.pid <= 0 || !inspector.isAlive(stamp.pid)) return false;
  if (stamp.startTime === undefined || !inspector.startTime) return true;
  const now = inspector.startTime(stamp.pid);
  return now === undefined || now === stamp.startTime;
}
