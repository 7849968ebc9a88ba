/** Types of bench/peer-process.js (plain JavaScript, run by `node bench/*.js` without a build), for its tests. */

export interface StartedChild {
  pid: number;
  stop(): Promise<void>;
  /** The last 8,000 characters of its stdout and stderr. */
  output(): string;
  /** Whether it still runs (its exit waited for `waitMs`, default 1 s) or how it exited, and its last lines of output. */
  describe(waitMs?: number): Promise<string>;
}

export interface Children {
  start(
    label: string,
    command: string,
    args: readonly string[],
    options: { env?: NodeJS.ProcessEnv; cwd?: string; readyUrl: string; startTimeoutMs?: number },
  ): Promise<StartedChild>;
  stopAll(): Promise<unknown>;
}

export function createChildren(): Children;
export function installPeer(options: { name: string; version: string; prefix: string }): Promise<string>;
export function readRss(pid: number): number;
