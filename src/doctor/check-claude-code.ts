import { formatDriftLine } from "../observe/claude-code-drift.js";
import { claudeCodeDriftPath, parseClaudeCodeDrift } from "../observe/save-claude-code-drift.js";
import { CHECKED_CLAUDE_CODE } from "../trim/claude-code/claude-code-versions.js";
import { compareVersions } from "../shared/compare-versions.js";
import { installClaudeHint, testedClaudeCodeVersion } from "../setup/claude-command.js";
import type { CheckResult, DoctorContext } from "./types.js";

const VERSION = /^(\d+\.\d+\.\d+)/;

/**
 * The `claude` that `mallex run` would launch (PATH, else beside mallex), that it answers --version,
 * and where that release stands against the ones mallex's trimming was checked against: within
 * the range (said), newer or older (a warning: trimming may keep more than it should, or miss what an
 * unchecked release writes). The last drift a proxy saw
 * (MALLEX_HOME/claude-code-drift.json) is told too, as a warning.
 */
export async function checkClaudeCode(ctx: Pick<DoctorContext, "deps">): Promise<CheckResult> {
  const { deps } = ctx;
  const name = "claude code";
  const tested = testedClaudeCodeVersion(deps.packageRoot);
  const fix = installClaudeHint(tested);
  const program = deps.findClaude();
  const drift = driftSeen(ctx);
  const withDrift = (result: CheckResult): CheckResult =>
    drift === undefined ? result : { ...result, detail: `${result.detail}; ${drift}`, ...(result.ok === true ? { warning: true } : {}) };
  if (!program)
    return withDrift({
      name,
      ok: false,
      detail: `\`claude\` is not on PATH (\`mallex run\` would fetch Claude Code ${tested}, the release it is tested with, through npx every time)`,
      fix,
    });
  const result = await deps.run(program, ["--version"], { timeoutMs: 10_000 });
  if (!result.ok) {
    const why = (result.stderr || result.stdout).trim().split("\n")[0] ?? "";
    return withDrift({ name, ok: false, detail: `\`${program} --version\` failed${why ? `: ${why}` : ""}`, fix: `reinstall it: ${fix}` });
  }
  const answer = result.stdout.trim().split("\n")[0] || "claude";
  const version = VERSION.exec(answer)?.[1];
  const { oldest, newest } = CHECKED_CLAUDE_CODE;
  if (version !== undefined && compareVersions(version, oldest) < 0) {
    return withDrift({
      name,
      ok: true,
      warning: true,
      detail: `${answer} at ${program} is older than the oldest release mallex's trimming was checked against (${oldest}–${newest}): its prompt may trim worse; update it (${fix})`,
    });
  }
  if (version !== undefined && compareVersions(version, newest) > 0) {
    return withDrift({
      name,
      ok: true,
      warning: true,
      detail: `${answer} at ${program} is newer than the newest release mallex's trimming was checked against (${newest}): trimming may keep more than it should; \`npm run check:claude-code\` shows what`,
    });
  }
  return withDrift({
    name,
    ok: true,
    detail: `${answer} at ${program}${version === undefined ? "" : `, within the releases mallex's trimming was checked against (${oldest}–${newest})`}`,
  });
}

/** The drift a proxy last saw, in the log line's words with when; undefined when none was saved (or the file is not one). */
function driftSeen(ctx: Pick<DoctorContext, "deps">): string | undefined {
  const text = ctx.deps.readText(claudeCodeDriftPath(ctx.deps.mallexHome));
  const drift = text === undefined ? undefined : parseClaudeCodeDrift(text);
  return drift === undefined ? undefined : `a proxy saw on ${drift.at}: ${formatDriftLine(drift)}`;
}
