/**
 * The Claude Code CLIs the tests run, named explicitly: the pinned devDependency
 * (`@anthropic-ai/claude-code`) and the newest (`claude-code-newest`, an npm alias). Both declare the
 * bin `claude`, so `node_modules/.bin/claude` is whichever npm linked last: never rely on it. Put a
 * version's `binDir` first on PATH instead; its only entry, `claude`, is that version's binary.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { captureFirstRequestCached, installedClaudeCode } from "../../scripts/claude-code/capture-request.js";
import type { MessagesRequest } from "../../src/translate/anthropic-types.js";

export interface ClaudeCodeVersion {
  label: "pinned" | "newest" | "older" | "unseen";
  /** From the package's own package.json, e.g. "2.1.197". */
  version: string;
  /** The native binary. */
  bin: string;
  /** A folder whose only entry, `claude`, links to `bin`: put it first on PATH. Made on first use, once per process. */
  binDir: string;
}

function claudeCodeVersion(label: ClaudeCodeVersion["label"], packageName: string): ClaudeCodeVersion {
  const installed = installedClaudeCode(packageName);
  if (installed === undefined) throw new Error(`${packageName} is not installed: run \`npm ci\``);
  return withBinDir(label, installed.version, installed.bin);
}

function withBinDir(label: ClaudeCodeVersion["label"], version: string, bin: string): ClaudeCodeVersion {
  let binDir: string | undefined;
  return {
    label,
    version,
    bin,
    get binDir() {
      if (binDir === undefined) {
        binDir = mkdtempSync(join(tmpdir(), `mallex-claude-${version}-`));
        symlinkSync(bin, join(binDir, "claude"));
      }
      return binDir;
    },
  };
}

/** Pinned first, then the newest. */
export const CLAUDE_CODE_VERSIONS: readonly ClaudeCodeVersion[] = [
  claudeCodeVersion("pinned", "@anthropic-ai/claude-code"),
  claudeCodeVersion("newest", "claude-code-newest"),
];

/** For `describe.each(CLAUDE_CODE_MATRIX)("Claude Code %s …", (_name, claudeCode) => …)`: each version named "2.1.197 (pinned)". */
export const CLAUDE_CODE_MATRIX: readonly (readonly [name: string, claudeCode: ClaudeCodeVersion])[] = CLAUDE_CODE_VERSIONS.map(
  (v) => [`${v.version} (${v.label})`, v] as const,
);

export const PINNED_CLAUDE_CODE: ClaudeCodeVersion = CLAUDE_CODE_VERSIONS[0]!;

/**
 * A release older than 2.1.150 (`claude-code-older`, a `cli.js` run by node): trimming is checked on it
 * too (its prompt is worded and indented differently), the end-to-end suites run the two above.
 */
export const OLDER_CLAUDE_CODE: ClaudeCodeVersion = claudeCodeVersion("older", "claude-code-older");

/**
 * A release between the checked ones that the built-in own lines were never learned from: 2.1.260,
 * where issue 49 found Claude Code's new sections ("Delivering work", "Corrections") kept as the
 * user's. `mallex run` learns such a release's own text from its installed CLI.
 */
export const UNSEEN_CLAUDE_CODE_RELEASE = "2.1.260";

/** Where releases that are no devDependency are installed (as `npm run check:claude-code` installs the registry's latest). */
const INSTALL_CACHE = fileURLToPath(new URL("../../node_modules/.cache/mallex/claude-code/", import.meta.url));

/**
 * The unseen release, installed from the registry into node_modules/.cache/mallex/claude-code/ the
 * first time (about 8 s here; npm needs the registry), or why it could not be: the suites that need it
 * say so and are skipped, and under CI fail.
 */
export function unseenClaudeCode(): ClaudeCodeVersion | { missing: string } {
  const version = UNSEEN_CLAUDE_CODE_RELEASE;
  const prefix = join(INSTALL_CACHE, version);
  const bin = join(prefix, "node_modules", "@anthropic-ai", "claude-code", "bin", "claude.exe");
  if (!reportsVersion(bin, version)) {
    try {
      mkdirSync(prefix, { recursive: true });
      execFileSync("npm", ["install", "--no-save", "--no-package-lock", "--prefix", prefix, `@anthropic-ai/claude-code@${version}`], {
        stdio: ["ignore", "ignore", "pipe"],
        timeout: 300_000,
      });
    } catch (error) {
      return {
        missing: `Claude Code ${version} could not be installed into ${prefix} (npm install: ${
          String((error as { stderr?: unknown }).stderr ?? error)
            .trim()
            .split("\n")[0]
        })`,
      };
    }
    if (!reportsVersion(bin, version)) return { missing: `${bin} does not run as Claude Code ${version} after npm install` };
  }
  return withBinDir("unseen", version, bin);
}

function reportsVersion(bin: string, version: string): boolean {
  try {
    return execFileSync(bin, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 30_000 }).startsWith(`${version} `);
  } catch {
    return false;
  }
}

/** The releases trimming is checked on: the older one, the pinned, the newest. */
export const TRIM_MATRIX: readonly (readonly [name: string, claudeCode: ClaudeCodeVersion])[] = [
  [`${OLDER_CLAUDE_CODE.version} (older)`, OLDER_CLAUDE_CODE],
  ...CLAUDE_CODE_MATRIX,
];
export const NEWEST_CLAUDE_CODE: ClaudeCodeVersion = CLAUDE_CODE_VERSIONS[1]!;

/**
 * Makes Claude Code wait for its MCP servers before its first request. 2.1.197 in `-p` does not by
 * default: given a stdio server that took 4 s to start (a loaded machine: two test runs and a C++
 * build on 2 cores), it asked without the server's tool and instructions; 2.1.100 and 2.1.332 wait.
 * The trim matrix captures the MCP server's parts with it; e2e-claude-code-mcp keeps 2.1.197's default
 * (it checks what mallex makes of "still connecting").
 */
export const WAIT_FOR_MCP_SERVERS = { MCP_CONNECTION_NONBLOCKING: "false" } as const;

/**
 * The first POST /v1/messages that version sends for `claude -p <prompt> --output-format json`,
 * offline, against a fake Anthropic API (scripts/claude-code/capture-request.js), or with `subagent`
 * the first of that subagent's (a built-in's or one in `files`' `.claude/agents`). Cached on disk per
 * (version, options) under node_modules/.cache/mallex/claude-code-captures/: a run captures each once.
 */
export async function captureFirstRequest(
  v: ClaudeCodeVersion,
  options: { prompt?: string; env?: Record<string, string>; args?: string[]; files?: Record<string, string>; subagent?: string } = {},
): Promise<{ body: MessagesRequest; headers: Record<string, string>; url: string }> {
  const { body, headers, url } = await captureFirstRequestCached({ bin: v.bin, version: v.version, ...options });
  return { body: body as MessagesRequest, headers, url };
}
