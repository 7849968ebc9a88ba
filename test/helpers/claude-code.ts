import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, execaSync } from "execa";
import { MALLEX_BIN } from "./run-cli.js";

const BIN = fileURLToPath(new URL("../../node_modules/.bin/", import.meta.url));

/**
 * `mallex run …args` as a user runs it, with Claude Code set up to work offline (a fresh HOME, no
 * nonessential traffic, no retries): mallex launches the real CLI from node_modules/.bin. `env` adds to
 * (or replaces) that environment, e.g. a PATH with a fake `claude` first.
 */
export function runMallex(args: string[], cwd: string, mallexHome: string, timeout = 90_000, env: Record<string, string> = {}) {
  return execa("node", [MALLEX_BIN, "run", ...args], {
    cwd,
    reject: false,
    stdin: "ignore",
    timeout,
    extendEnv: false,
    env: {
      HOME: mkdtempSync(join(tmpdir(), "mallex-home-")),
      PATH: `${BIN}:/usr/bin:/bin`,
      TERM: "dumb",
      LANG: "C.UTF-8",
      MALLEX_HOME: mallexHome,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_AUTOUPDATER: "1",
      CLAUDE_CODE_MAX_RETRIES: "0",
      ...env,
    },
  });
}

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
  return execa(join(BIN, "claude"), args, {
    cwd,
    reject: false,
    stdin: "ignore",
    timeout: 60_000,
    extendEnv: false,
    env: { ...offlineEnv(), ANTHROPIC_BASE_URL: baseUrl, ANTHROPIC_API_KEY: "sk-test" },
  });
}

/**
 * Runs a command line as a user pastes it into a shell (`VAR=… claude`), with `args` appended and
 * nothing of Anthropic's in the environment but what the line sets: whether it works as printed.
 * `env` stands for what the user's shell has exported.
 */
export function runClaudeAsPrinted(line: string, cwd: string, args: string[], env: Record<string, string> = {}) {
  return execa("sh", ["-c", `${line} "$@"`, "sh", ...args], { cwd, reject: false, stdin: "ignore", timeout: 60_000, extendEnv: false, env: { ...offlineEnv(), ...env } });
}

/** A fresh HOME, Claude Code on PATH, no retries and no traffic but the requests (docs/claude-code.md). */
function offlineEnv(): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), "mallex-home-"));
  mkdirSync(home, { recursive: true });
  return {
    HOME: home,
    PATH: `${BIN}:/usr/bin:/bin`,
    TERM: "dumb",
    LANG: "C.UTF-8",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_MAX_RETRIES: "0",
  };
}
