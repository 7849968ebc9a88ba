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
