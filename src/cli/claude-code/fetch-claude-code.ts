import { MallexError } from "../../shared/mallex-error.js";
import { runInOwnGroup } from "../../shared/run-in-own-group.js";
import { CLAUDE_CODE_PACKAGE, installClaudeHint, type ClaudeCommand } from "../../setup/claude-command.js";

const NPX_FETCH_MS = 10 * 60_000;

/**
 * No `claude` on PATH: npx fetches the tested release once, before it gets the terminal, so a
 * failure (no npx, no network) is mallex's own sentence instead of npm's error lines after
 * mallex's start-up lines.
 */
export async function fetchClaudeCode(claude: ClaudeCommand, print: (line: string) => void): Promise<void> {
  const version = claude.npx!.version;
  print(
    `mallex: no \`claude\` on PATH: fetching Claude Code ${version} (the release mallex is tested with) through npx; \`${installClaudeHint(version)}\` installs it for good`,
  );
  // In a group of its own, its output bounded: a background process npm or the package leaves behind cannot keep mallex waiting.
  const result = await runInOwnGroup(claude.file, [...claude.prefix, "--version"], { timeoutMs: NPX_FETCH_MS });
  if (result.exitCode === 0 && !result.outputCut) return;
  const why =
    result.spawnError === "ENOENT"
      ? "there is no npx on PATH either"
      : result.timedOut
        ? `npx took longer than ${NPX_FETCH_MS / 60_000} minutes`
        : (npmReason(result.output) ??
          (result.outputCut
            ? "it printed more than 64 Ki characters for --version"
            : result.spawnError !== undefined
              ? `it could not be started (${result.spawnError})`
              : `it exited with code ${result.exitCode ?? "unknown"}`));
  throw new MallexError(
    "E_CLAUDE_CODE",
    `mallex: Claude Code is not installed (no \`claude\` on PATH) and npx could not fetch ${CLAUDE_CODE_PACKAGE}@${version}: ${why}. Install it: ${installClaudeHint(version)}`,
  );
}

/**
 * npm's reason among its `npm error` lines: the first that is not a field (code, errno, syscall),
 * a stack frame or the log's path ("FetchError: request to … failed, reason: connect ECONNREFUSED",
 * "notarget No matching version found for …"), else its code line.
 */
function npmReason(output: string): string | undefined {
  const lines = output.split("\n").flatMap((line) => (line.startsWith("npm error ") ? [line.slice("npm error ".length).trim()] : []));
  return lines.find((line) => line !== "" && !/^(code|errno|syscall|path|A complete log)\b|^at /.test(line)) ?? lines.find((line) => line.startsWith("code "));
}
