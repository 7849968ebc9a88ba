/**
 * Children die with mallex, even when mallex cannot say so (SIGKILL, an out-of-memory kill): a
 * death watch is a tiny detached `node` process whose stdin is a pipe that only mallex holds open.
 * When mallex dies, however it dies, the kernel closes that pipe; the watch reads EOF and stops
 * its target — SIGTERM, then SIGKILL after `graceMs` — and exits.
 *
 * The watch is a sibling of its target, never a wrapper: the server (or Claude Code) is started
 * exactly as before, so its pid, its output pipes, its exit status, the pidfile's identity check
 * and, for Claude Code, its place in the terminal's foreground process group (raw mode, Ctrl-C)
 * are untouched. The watch has its own session and no terminal: neither Ctrl-C nor closing the
 * terminal reaches it.
 *
 * - `group`: the target is a process-group leader (a supervised server): the whole group is
 *   signalled, so a wrapper script's children go too. Claude Code shares mallex's group (the
 *   terminal's foreground group), so it is signalled alone; whatever it started (MCP servers, tool
 *   commands) and left running once it is gone gets SIGTERM, then SIGKILL a second later.
 * - Identity: the watch records the target's start time when it starts and signals nothing whose
 *   start time differs (a recycled pid). A group whose leader is gone but whose members live on is
 *   still the target's (a pid cannot be reused while a group carries its number).
 * - disarm(): the target is kept running past mallex (on_exit: keep), or it exited and was signalled
 *   alone: mallex ends the watch with SIGTERM, and nothing is signalled. A watch whose target (for a
 *   group: every member) is gone exits on its own (checked every `pollMs`), so none outlives what it
 *   watches; a server's watch is left to do so, since what the server started may live on in its group.
 *
 * The watch is plain JavaScript passed to `node -e` (no file to find, from src/ or dist/), as the
 * output sink of kept servers is (output-sink.ts).
 *
 * @example
 * const watch = armDeathWatch({ pid: child.pid, group: true, graceMs: 10_000 });
 * // … the server runs; mallex may die at any moment: the watch stops it …
 * child.once("exit", () => watch.disarm());
 */
import { spawn as defaultSpawn } from "node:child_process";

export interface DeathWatchTarget {
  pid: number;
  /** Signal the process group -pid (the target leads its own group). */
  group: boolean;
  /** SIGTERM → at most this long → SIGKILL. */
  graceMs: number;
}

export interface DeathWatch {
  /** The watch process (undefined when it could not be started: the target is then unwatched). */
  readonly pid: number | undefined;
  /** Ends the watch without touching the target. Idempotent. */
  disarm(): void;
}

export type ArmDeathWatch = (target: DeathWatchTarget) => DeathWatch;

/** The watch's source; argv: PID group|single GRACE_MS POLL_MS. */
export const DEATH_WATCH_SOURCE = `
const fs = require("node:fs"), cp = require("node:child_process");
const [pidArg, mode, graceArg, pollArg] = process.argv.slice(1);
const pid = Number(pidArg), group = mode === "group";
const graceMs = Number(graceArg) || 10000, pollMs = Number(pollArg) || 1000;
try { process.title = "mallex-death-watch " + pid; } catch {}
for (const signal of ["SIGHUP", "SIGINT"]) process.on(signal, () => {});
// The start time of a live process (undefined when gone, a zombie, or unknown).
const startTime = (p) => {
  if (process.platform === "linux") {
    try {
      const stat = fs.readFileSync("/proc/" + p + "/stat", "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return fields[0] === "Z" ? undefined : fields[19];
    } catch { return undefined; }
  }
  try {
    const text = cp.execFileSync("ps", ["-o", "lstart=", "-p", String(p)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return text === "" ? undefined : text;
  } catch { return undefined; }
};
const exists = (target) => { try { process.kill(target, 0); return true; } catch (error) { return error.code === "EPERM"; } };
// Some process of the group is alive (Linux: not only zombies left for a slow reaper).
const groupLives = () => {
  if (!exists(-pid)) return false;
  if (process.platform !== "linux") return true;
  try {
    return fs.readdirSync("/proc").some((name) => {
      if (!/^[0-9]+$/.test(name)) return false;
      try {
        const stat = fs.readFileSync("/proc/" + name + "/stat", "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return fields[0] !== "Z" && Number(fields[2]) === pid;
      } catch { return false; }
    });
  } catch { return true; }
};
// [pid, start time] of every live descendant of root (Linux: /proc; elsewhere: ps).
const descendantsOf = (root) => {
  let pairs = [];
  if (process.platform === "linux") {
    for (const name of fs.readdirSync("/proc")) {
      if (!/^[0-9]+$/.test(name)) continue;
      try {
        const stat = fs.readFileSync("/proc/" + name + "/stat", "utf8");
        pairs.push([Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])]);
      } catch {}
    }
  } else {
    try {
      pairs = cp.execFileSync("ps", ["-A", "-o", "pid=,ppid="], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\\n").map((line) => line.trim().split(/\\s+/).map(Number));
    } catch {}
  }
  const found = [];
  for (let frontier = [root]; frontier.length > 0; ) {
    frontier = pairs.filter(([, parent]) => frontier.includes(parent)).map(([child]) => child);
    found.push(...frontier);
  }
  return found.map((p) => [p, startTime(p)]).filter(([, time]) => time !== undefined);
};
const started = startTime(pid);
// The target still runs: its pid with the recorded start time, or (group) its group after the leader.
const running = () => {
  if (started === undefined) return exists(pid) || (group && groupLives()); // no start time to compare (no ps)
  const now = startTime(pid);
  if (now !== undefined) return now === started;
  return group && groupLives();
};
const signal = (name) => {
  if (group) { try { process.kill(-pid, name); return; } catch {} }
  try { process.kill(pid, name); } catch {}
};
if (!running()) process.exit(0);
const idle = setInterval(() => { if (!exists(pid) && !(group && groupLives())) process.exit(0); }, pollMs);
let fired = false;
const fire = () => {
  if (fired) return;
  fired = true;
  clearInterval(idle);
  if (!running()) process.exit(0);
  // A target signalled alone (not a group) may leave children behind: they are stopped after it.
  const family = group ? [] : descendantsOf(pid);
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  const left = () => family.filter(([p, time]) => startTime(p) === time).map(([p]) => p);
  const finish = () => {
    if (left().length === 0) process.exit(0);
    for (const p of left()) try { process.kill(p, "SIGTERM"); } catch {}
    setTimeout(() => { for (const p of left()) try { process.kill(p, "SIGKILL"); } catch {} process.exit(0); }, 1000);
  };
  const check = () => {
    if (!running()) return finish();
    if (Date.now() >= deadline) { signal("SIGKILL"); return finish(); }
    setTimeout(check, 100);
  };
  setTimeout(check, 100);
};
process.stdin.on("end", fire);
process.stdin.on("error", fire);
process.stdin.resume();
`;

export interface ArmDeathWatchOptions {
  /** How often an idle watch checks that its target still exists (default 1 s). */
  pollMs?: number;
  spawn?: typeof defaultSpawn;
}

/** Starts a death watch on `target`; see the module comment. */
export function armDeathWatch(target: DeathWatchTarget, options: ArmDeathWatchOptions = {}): DeathWatch {
  const spawn = options.spawn ?? defaultSpawn;
  const args = ["-e", DEATH_WATCH_SOURCE, String(target.pid), target.group ? "group" : "single", String(target.graceMs), String(options.pollMs ?? 1000)];
  let watch: ReturnType<typeof defaultSpawn>;
  try {
    // stdin: the pipe whose EOF means "mallex is gone". libuv opens it close-on-exec, so no other child inherits mallex's end.
    watch = spawn(process.execPath, args, { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  } catch {
    return { pid: undefined, disarm: () => {} };
  }
  watch.on("error", () => {});
  watch.stdin?.on("error", () => {});
  // Neither the watch nor its pipe keeps mallex's event loop alive.
  watch.unref();
  (watch.stdin as { unref?: () => void } | null)?.unref?.();
  let disarmed = false;
  return {
    pid: watch.pid,
    disarm() {
      if (disarmed) return;
      disarmed = true;
      // The signal is pending before mallex's end of the pipe closes: the watch never sees that EOF.
      if (watch.exitCode === null && watch.signalCode === null) watch.kill("SIGTERM");
      watch.stdin?.destroy();
    },
  };
}
