import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MallexError } from "../shared/mallex-error.js";
import { findClaude } from "./find-claude.js";

export const CLAUDE_CODE_PACKAGE = "@anthropic-ai/claude-code";

/** How `mallex run` starts Claude Code. */
export interface ClaudeCommand {
  file: string;
  /** Arguments before Claude Code's own. */
  prefix: string[];
  /** Set when no `claude` was found and npx fetches the tested release. */
  npx?: { version: string };
}

/**
 * `claude` as findClaude finds it; else npx running the release mallex is tested with, never
 * whatever npm calls latest (a newer release may send requests mallex's trimming was not checked
 * against).
 */
export function claudeCommand(env: Readonly<Record<string, string | undefined>>, packageRoot: string): ClaudeCommand {
  const found = findClaude(env, packageRoot);
  if (found !== undefined) return { file: found, prefix: [] };
  const version = testedClaudeCodeVersion(packageRoot);
  return { file: "npx", prefix: ["--yes", `${CLAUDE_CODE_PACKAGE}@${version}`], npx: { version } };
}

/** The Claude Code release mallex's tests run: its devDependency in package.json, pinned to one version. */
export function testedClaudeCodeVersion(packageRoot: string): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { devDependencies?: Record<string, string> };
  const version = manifest.devDependencies?.[CLAUDE_CODE_PACKAGE];
  if (version === undefined || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new MallexError(
      "E_CLAUDE_CODE",
      `mallex's package.json pins no ${CLAUDE_CODE_PACKAGE} version (devDependencies has ${JSON.stringify(version ?? null)}): install Claude Code yourself (npm install -g ${CLAUDE_CODE_PACKAGE}) so \`claude\` is on PATH`,
    );
  }
  return version;
}

/** What to run once, so npx stops being needed. */
export function installClaudeHint(version: string): string {
  return `npm install -g ${CLAUDE_CODE_PACKAGE}@${version}`;
}
