import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { makeCaptureProject, offlineClaudeEnv } from "../../scripts/claude-code/capture-request.js";
import { PINNED_CLAUDE_CODE, type ClaudeCodeVersion } from "./claude-code-versions.js";
import { MALLEX_BIN } from "./run-cli.js";

/**
 * `mallex run …args` as a user runs it, with Claude Code set up to work offline (a fresh HOME, no
 * nonessential traffic, no retries): mallex launches the `claude` first on PATH, which is `claudeCode`
 * (default: the pinned version). `env` adds to (or replaces) that environment, e.g. a PATH with a fake
 * `claude` first.
 */
export function runMallex(
  args: string[],
  cwd: string,
  mallexHome: string,
  timeout = 90_000,
  env: Record<string, string> = {},
  claudeCode: ClaudeCodeVersion = PINNED_CLAUDE_CODE,
) {
  return execa("node", [MALLEX_BIN, "run", ...args], {
    cwd,
    reject: false,
    stdin: "ignore",
    timeout,
    extendEnv: false,
    env: { ...offlineEnv(claudeCode), MALLEX_HOME: mallexHome, ...env },
  });
}

/** A small git repository with a CLAUDE.md, like the one the captures were made in. */
export { makeCaptureProject as makeProject };

/**
 * Runs the real Claude Code CLI (`claudeCode`, default the pinned version) offline against `baseUrl`
 * (docs/claude-code.md): fresh HOME, no retries, no nonessential traffic, stdin closed. `env` adds to
 * that environment (e.g. one HOME for several runs, so `--continue` finds the session). Never throws;
 * the result carries the exit code.
 */
export function runClaude(
  baseUrl: string,
  cwd: string,
  args: string[],
  claudeCode: ClaudeCodeVersion = PINNED_CLAUDE_CODE,
  env: Record<string, string> = {},
  timeout = 60_000,
) {
  return execa(join(claudeCode.binDir, "claude"), args, {
    cwd,
    reject: false,
    stdin: "ignore",
    timeout,
    extendEnv: false,
    env: { ...offlineEnv(claudeCode), ANTHROPIC_BASE_URL: baseUrl, ANTHROPIC_API_KEY: "sk-test", ...env },
  });
}

/**
 * Runs a command line as a user pastes it into a shell (`VAR=… claude`), with `args` appended and
 * nothing of Anthropic's in the environment but what the line sets: whether it works as printed.
 * `env` stands for what the user's shell has exported; `claude` is `claudeCode` (default: pinned).
 */
export function runClaudeAsPrinted(
  line: string,
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
  claudeCode: ClaudeCodeVersion = PINNED_CLAUDE_CODE,
) {
  return execa("sh", ["-c", `${line} "$@"`, "sh", ...args], {
    cwd,
    reject: false,
    stdin: "ignore",
    timeout: 60_000,
    extendEnv: false,
    env: { ...offlineEnv(claudeCode), ...env },
  });
}

/** A fresh HOME, `claudeCode` first on PATH as `claude`, no retries and no traffic but the requests (docs/claude-code.md). */
function offlineEnv(claudeCode: ClaudeCodeVersion): Record<string, string> {
  return offlineClaudeEnv(mkdtempSync(join(tmpdir(), "mallex-home-")), `${claudeCode.binDir}:/usr/bin:/bin`);
}
