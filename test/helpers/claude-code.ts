import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, execaSync } from "execa";

const BIN = fileURLToPath(new URL("../../node_modules/.bin/", import.meta.url));

/** A small git repository with a CLAUDE.md, like the one the captures were made in. */
export function makeProject(claudeMd = "# Project notes\n- Keep answers short.\n"): string {
  const dir = mkdtempSync(join(tmpdir(), "mallex-project-"));
  writeFileSync(join(dir, "CLAUDE.md"), claudeMd);
  const git = (...args: string[]) => execaSync("git", args, { cwd: dir, env: { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" } });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "initial commit");
  return dir;
}

/**
 * Runs the real Claude Code CLI offline against `baseUrl` (docs/claude-code.md): fresh HOME, no
 * retries, no nonessential traffic, stdin closed. Never throws; the result carries the exit code.
 */
export function runClaude(baseUrl: string, cwd: string, args: string[]) {
  const home = mkdtempSync(join(tmpdir(), "mallex-home-"));
  mkdirSync(home, { recursive: true });
  return execa(join(BIN, "claude"), args, {
    cwd,
    reject: false,
    stdin: "ignore",
    timeout: 60_000,
    extendEnv: false,
    env: {
      HOME: home,
      PATH: `${BIN}:/usr/bin:/bin`,
      TERM: "dumb",
      LANG: "C.UTF-8",
      ANTHROPIC_BASE_URL: baseUrl,
      ANTHROPIC_API_KEY: "sk-test",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_AUTOUPDATER: "1",
      CLAUDE_CODE_MAX_RETRIES: "0",
    },
  });
}
