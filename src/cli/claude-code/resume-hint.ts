/**
 * What `mallex run` says once Claude Code has exited: how to go on with the conversation through
 * mallex. Claude Code's own parting line, `claude --resume <id>`, starts it without mallex — on the
 * Anthropic API, or nowhere offline. Claude Code 2.1.197 keeps one session id across `--resume` (the
 * same `x-claude-code-session-id` on every request, the same transcript), and writes each session's
 * transcript to `<config dir>/projects/<folder>/<id>.jsonl`, the config dir being
 * `CLAUDE_CONFIG_DIR`, else `~/.claude` (its bundle: `process.env.CLAUDE_CONFIG_DIR ?? join(homedir(), ".claude")`).
 */
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { formatArgv } from "../../supervisor/server-command.js";

export interface ResumeHintInput {
  /** The session of the last request mallex served (RunningProxy.lastSession). */
  sessionId: string | undefined;
  /** How the user runs mallex (mallexCommand): `mallex`, `npx mallex`, `node …/bin/mallex.js`. */
  mallex: string;
  /** `mallex run`'s words after `run`: its own options are kept, Claude Code's (after `--`) are not. */
  runArgs: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Whether Claude Code kept a transcript of the session (default: looks in its config dir). */
  hasTranscript?: (sessionId: string, env: Readonly<Record<string, string | undefined>>) => boolean;
}

/**
 * `mallex: to go on with this conversation through mallex: mallex run --embedded m.gguf -- --resume <id>`,
 * or undefined when there is nothing to resume: no request was made, or Claude Code kept no
 * transcript (`--no-session-persistence`), so `--resume` would find nothing.
 */
export function resumeHint(input: ResumeHintInput): string | undefined {
  const { sessionId } = input;
  if (sessionId === undefined || !(input.hasTranscript ?? hasClaudeTranscript)(sessionId, input.env)) return undefined;
  const dashes = input.runArgs.indexOf("--");
  const own = dashes === -1 ? input.runArgs : input.runArgs.slice(0, dashes);
  return `mallex: to go on with this conversation through mallex: ${input.mallex} ${formatArgv(["run", ...own, "--", "--resume", sessionId])}`;
}

/** Claude Code's transcript of the session, in any project folder of its config dir. */
export function hasClaudeTranscript(sessionId: string, env: Readonly<Record<string, string | undefined>>): boolean {
  const projects = join(env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), ".claude"), "projects");
  let folders: string[];
  try {
    folders = readdirSync(projects);
  } catch {
    return false;
  }
  return folders.some((folder) => existsSync(join(projects, folder, `${sessionId}.jsonl`)));
}
