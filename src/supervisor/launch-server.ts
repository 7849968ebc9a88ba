/**
 * Starts the server command (no shell) as a process-group leader and turns its output into lines:
 * tqdm redraws with `\r`, so `\r` ends a line too. Every line goes to server.log and to `onLine`;
 * the last few are kept for error messages.
 *
 * The server runs in its own process group and session (`detached`), execa's `cleanup` is off, and
 * the handle is only referenced while mallex watches it. The supervisor stops it explicitly (stop(),
 * killNow() from stopAllOnExit), or lets go of it (release(): on_exit keep). Should mallex die
 * without doing either (SIGKILL), the death watch armed here stops the group (arm-death-watch.ts);
 * it is disarmed when the server is released.
 */
import { StringDecoder } from "node:string_decoder";
import type { execa as execaFunction } from "execa";
import type { ArmDeathWatch } from "./processes/arm-death-watch.js";
import type { ServerLog } from "./server-log.js";
import { startOutputSink, type OutputSinkOptions } from "./output-sink.js";
import { MAX_SERVER_LINE_CHARS } from "./server-line-limit.js";
import { killNow, stopProcess, type StopOutcome } from "./processes/stop-process.js";

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** The process could not be started at all (e.g. "spawn mlx_lm.server ENOENT"). */
  spawnError?: string;
  /** An adopted server (not mallex's child) is gone: its exit status cannot be known. */
  adopted?: boolean;
}

export interface LaunchedServer {
  /** undefined when the command could not be started. */
  readonly pid: number | undefined;
  /** Settles (never rejects) when the process has exited and its output is drained. */
  readonly exited: Promise<ExitInfo>;
  /** The last `n` lines it printed. */
  tail(n: number): string[];
  /** SIGTERM → wait → SIGKILL, the whole process group. */
  stop(timeoutMs: number): Promise<StopOutcome>;
  /** SIGKILL now (process 'exit' handlers). */
  killNow(): void;
  /**
   * Lets go of the process, which runs on after mallex exits (on_exit: keep): its output goes on
   * into server.log through a detached sink (output-sink.ts), and mallex no longer waits for it.
   */
  release(sink: OutputSinkOptions): void;
}

export interface LaunchOptions {
  argv: readonly string[];
  env: Record<string, string>;
  execa: typeof execaFunction;
  log: ServerLog;
  onLine(line: string): void;
  /** Lines kept for tail() (default 60). */
  keepLines?: number;
  /** Watches for mallex's death (none when omitted). */
  armDeathWatch?: ArmDeathWatch;
  /** The death watch's SIGTERM → SIGKILL grace (default 10 s). */
  graceMs?: number;
}

export function launchServer(options: LaunchOptions): LaunchedServer {
  const [file, ...args] = options.argv;
  if (file === undefined) throw new Error("empty server command");
  const keep = options.keepLines ?? 60;
  const recent: string[] = [];
  const line = (text: string) => {
    options.log.write(text);
    recent.push(text);
    if (recent.length > keep) recent.shift();
    options.onLine(text);
  };

  const child = options.execa(file, args, {
    detached: true,
    cleanup: false,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    buffer: false,
    reject: false,
    env: options.env,
    extendEnv: true,
  });
  const drained = [child.stdout, child.stderr].map((stream) => {
    if (!stream) return Promise.resolve();
    const decoder = new StringDecoder("utf8");
    let partial = "";
    const take = (text: string) => {
      const parts = (partial + text).split(/\r\n|\r|\n/);
      partial = parts.pop() ?? "";
      // A server that never ends its line (a progress bar gone wrong, a hostile one) is read in
      // pieces: what it prints is never held whole.
      if (partial.length > MAX_SERVER_LINE_CHARS) {
        parts.push(partial);
        partial = "";
      }
      for (const part of parts) if (part.trim() !== "") line(part);
    };
    stream.on("data", (chunk: Buffer) => take(decoder.write(chunk)));
    return new Promise<void>((resolve) =>
      stream.once("close", () => {
        take(decoder.end());
        if (partial.trim() !== "") line(partial);
        resolve();
      }),
    );
  });
  const pid = child.pid;
  const watch = pid === undefined ? undefined : options.armDeathWatch?.({ pid, group: true, graceMs: options.graceMs ?? 10_000 });
  // Not disarmed when the leader exits: what it started may live on in its group, and the watch
  // stays until the whole group is gone (it then exits by itself).
  const exited: Promise<ExitInfo> = child.then(async (result) => {
    await Promise.all(drained);
    if (pid === undefined) return { code: null, signal: null, spawnError: result.originalMessage || result.shortMessage || "could not start" };
    return { code: result.exitCode ?? null, signal: result.signal ?? null };
  });

  return {
    pid,
    exited,
    tail: (n) => recent.slice(-n),
    stop: (timeoutMs) => (pid === undefined ? Promise.resolve("not-running") : stopProcess(pid, { timeoutMs, group: true, exited })),
    killNow: () => {
      if (pid !== undefined) killNow(pid, true);
    },
    release: (sink) => {
      if (pid === undefined) return;
      watch?.disarm(); // it is meant to outlive mallex
      startOutputSink({ stdout: child.stdout, stderr: child.stderr }, sink);
      // The sink holds its own copies of the pipes; mallex's ends close, and its event loop no longer waits for the server.
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.unref();
    },
  };
}
