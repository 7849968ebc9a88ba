import { execa } from "execa";

export interface NpmResult {
  /** undefined: npm did not run (see spawnError). */
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** Why npm could not be started: "ENOENT" when it is not on PATH. */
  spawnError?: string;
}

export interface RunNpmOptions {
  cwd: string;
  signal?: AbortSignal;
}

/** Runs npm with these arguments (tests give a fake). */
export type RunNpm = (args: readonly string[], options: RunNpmOptions) => Promise<NpmResult>;

/**
 * The user's own npm, with their registry, proxy and cache settings: the engine's packages come from
 * wherever their other packages do. Its output is bounded: npm's own failure report is a few lines.
 */
export const runNpm: RunNpm = async (args, options) => {
  const result = await execa("npm", args, {
    cwd: options.cwd,
    reject: false,
    stdin: "ignore",
    maxBuffer: 4 * 1024 * 1024,
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  });
  const spawnError = result.exitCode === undefined && result.signal === undefined ? (result as { code?: string }).code : undefined;
  return {
    exitCode: result.exitCode,
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr ?? ""),
    ...(spawnError !== undefined ? { spawnError } : {}),
  };
};
