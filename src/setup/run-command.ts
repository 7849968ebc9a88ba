import { execa } from "execa";

/** What a probe needs from a finished command; never a throw, so every probe can degrade to "unknown". */
export interface CommandResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  /** The program is not installed (or not on PATH). */
  missing: boolean;
}

export type RunCommand = (file: string, args: readonly string[], options?: { timeoutMs?: number }) => Promise<CommandResult>;

/** The real runner: execa without a shell, stdin closed (a tool waiting for input would hang doctor). */
export const runCommand: RunCommand = async (file, args, options = {}) => {
  try {
    const result = await execa(file, [...args], { reject: false, stdin: "ignore", timeout: options.timeoutMs ?? 5000 });
    const missing = (result as { code?: string }).code === "ENOENT";
    return { ok: result.exitCode === 0 && !result.failed, stdout: String(result.stdout ?? ""), stderr: String(result.stderr ?? ""), missing };
  } catch (error) {
    // execa reports spawn failures in the result; this is only for the unexpected (e.g. EACCES on some systems).
    return { ok: false, stdout: "", stderr: error instanceof Error ? error.message : String(error), missing: false };
  }
};
