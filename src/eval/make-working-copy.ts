import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { MallexError } from "../shared/mallex-error.js";

/** A throwaway working copy: the task's repo/ files in a fresh git repository with one commit. */
export interface WorkingCopy {
  /** The repository (Claude Code's working directory). */
  dir: string;
  /** Beside it, outside the repository: Claude Code's fresh HOME and the answer file for the checker. */
  scratch: string;
  remove(): void;
}

/** The commit's identity: set per command, so neither the user's git config nor its absence matters. */
const GIT_IDENTITY = ["-c", "user.name=mallex eval", "-c", "user.email=eval@mallex.invalid", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"];

export async function makeWorkingCopy(repoDir: string, taskName: string): Promise<WorkingCopy> {
  const root = claimFolder(join(tmpdir(), `mallex-eval-${taskName.replace(/[^\w.-]/g, "_").slice(0, 40)}`));
  const remove = () => rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  try {
    const dir = join(root, "repo");
    const scratch = join(root, "scratch");
    cpSync(repoDir, dir, { recursive: true });
    mkdirSync(scratch);
    const git = (args: string[]) => execa("git", [...GIT_IDENTITY, ...args], { cwd: dir, stdin: "ignore", env: { GIT_CONFIG_NOSYSTEM: "1" } });
    await git(["init", "-q"]);
    await git(["add", "-A"]);
    await git(["commit", "-q", "-m", `${taskName}: the task's starting point`]);
    return { dir, scratch, remove };
  } catch (error) {
    remove();
    const why =
      (error as { code?: string }).code === "ENOENT"
        ? "git is not installed (each task's working copy is a git repository): install git"
        : ((error as { shortMessage?: string }).shortMessage ?? (error as Error).message);
    throw new MallexError("E_EVAL_SUITE", `mallex eval: cannot make task ${taskName}'s working copy: ${why}`, { cause: error });
  }
}

/**
 * `base-1`, or the first of `base-2`, `base-3`… that is free, made here (never one that was there: a
 * name in the shared tmp folder someone else made is skipped). Not mkdtemp's random suffix: the
 * working directory's path is in the model's prompt, and each run of a task should be asked the same
 * thing — a random name made one run's prompt differ from another's by its tokens.
 */
function claimFolder(base: string): string {
  for (let n = 1; n <= 1000; n++) {
    try {
      mkdirSync(`${base}-${n}`, { mode: 0o700 });
      return `${base}-${n}`;
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
    }
  }
  return mkdtempSync(`${base}-`);
}

/** The paths the run changed, added or removed since the starting commit (git status, untracked files included). */
export async function changedFiles(dir: string): Promise<string[]> {
  const result = await execa("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: dir, stdin: "ignore", reject: false });
  if (result.failed) return [];
  return result.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => line.slice(3));
}
