/**
 * What runs, read from /proc (Linux): the no-orphan tests ask whether a process, or any member of
 * its process group, is still alive after the mallex above it was killed. Zombies do not count: a
 * killed child waits there until a reaper that may be slow (the container's pid 1) collects it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";

interface Stat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
}

function statOf(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { pid, state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

function liveProcesses(): Stat[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => statOf(Number(name)))
    .filter((stat): stat is Stat => stat !== undefined && stat.state !== "Z");
}

/** The process runs (and is no zombie). */
export function isLive(pid: number): boolean {
  const stat = statOf(pid);
  return stat !== undefined && stat.state !== "Z";
}

/** The live (non-zombie) members of process group `pgid`. */
export function liveGroupMembers(pgid: number): number[] {
  return liveProcesses()
    .filter((stat) => stat.pgid === pgid)
    .map((stat) => stat.pid);
}

/**
 * The live members of process group `pgid` whose command line starts with `command`: a process
 * forked to become it carries its parent's command line until it execs, and a test that signals
 * on seeing the fork signals before the command runs.
 */
export function liveGroupMembersRunning(pgid: number, command: string): number[] {
  return liveGroupMembers(pgid).filter((pid) => commandLineOf(pid).startsWith(command));
}

/** The live children of `pid` whose command line contains `text`. */
export function childrenMatching(pid: number, text: string): number[] {
  return liveProcesses()
    .filter((stat) => stat.ppid === pid && commandLineOf(stat.pid).includes(text))
    .map((stat) => stat.pid);
}

/** Live processes whose command line contains `text`. */
export function processesMatching(text: string): number[] {
  return liveProcesses()
    .filter((stat) => stat.pid !== process.pid && commandLineOf(stat.pid).includes(text))
    .map((stat) => stat.pid);
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** Something accepts connections on 127.0.0.1:port. */
export function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Polls until `check` holds; throws with `what` after a generous deadline (no timing is asserted). */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check()); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > deadline) throw new Error(`not in ${timeoutMs / 1000} s: ${what}`);
  }
}
