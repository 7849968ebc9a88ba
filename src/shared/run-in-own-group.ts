import { execa } from "execa";
import { limitProcessGroup } from "./limit-process-group.js";

export interface GroupRun {
  /** The exit code, when the command exited on its own within its limit. */
  exitCode?: number;
  /** Its stdout and stderr, interleaved, at most `maxOutputChars` of them. */
  output: string;
  /** The time limit ended it. */
  timedOut: boolean;
  /** It could not be started: ENOENT (not on PATH), EACCES… */
  spawnError?: string;
  /** It printed more than `maxOutputChars`, and was ended for it. */
  outputCut: boolean;
}

export interface GroupRunOptions {
  timeoutMs: number;
  /** What of its output is kept: past it the command is ended (64 Ki characters by default). */
  maxOutputChars?: number;
  /** Between SIGTERM and SIGKILL at the limit (2 s by default). */
  graceMs?: number;
  /** Where it runs (default: mallex's own working directory). */
  cwd?: string;
  /** Its whole environment, in place of mallex's (default: mallex's). */
  env?: Readonly<Record<string, string>>;
  /** Ends the group as the time limit does, when it aborts (Ctrl-C while mallex waits on it). */
  signal?: AbortSignal;
}

/**
 * Runs a program mallex does not control (npx, `claude --version`) in a process group of its own,
 * output bounded, held to `timeoutMs` (limitProcessGroup): at its limit the whole group is ended, and
 * whatever it leaves in the background is killed once it exits. execa reads its output to the end of
 * the pipe, and a background process it started holds that pipe open: with execa's own `timeout`,
 * `npx --version` leaving a daemon behind kept mallex waiting as long as the daemon ran, past the limit.
 */
export async function runInOwnGroup(file: string, args: readonly string[], options: GroupRunOptions): Promise<GroupRun> {
  const maxOutputChars = options.maxOutputChars ?? 64 * 1024;
  const child = execa(file, [...args], {
    reject: false,
    stdin: "ignore",
    all: true,
    detached: true,
    maxBuffer: maxOutputChars,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env, extendEnv: false }),
  });
  const group = limitProcessGroup(child, { timeoutMs: options.timeoutMs, graceMs: options.graceMs ?? 2000, signal: options.signal });
  const result = await child;
  group.dispose();
  const code = (result as { code?: string }).code;
  const spawnError = result.failed && result.exitCode === undefined && !group.timedOut && code !== undefined && !result.isMaxBuffer ? code : undefined;
  return {
    ...(result.exitCode !== undefined && !group.timedOut ? { exitCode: result.exitCode } : {}),
    output: typeof result.all === "string" ? result.all : "",
    timedOut: group.timedOut,
    ...(spawnError === undefined ? {} : { spawnError }),
    outputCut: result.isMaxBuffer === true,
  };
}
