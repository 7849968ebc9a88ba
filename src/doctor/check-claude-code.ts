import type { CheckResult, DoctorContext } from "./types.js";

/** The `claude` that `mallex run` would launch (PATH, else beside mallex), and that it answers --version. */
export async function checkClaudeCode(ctx: Pick<DoctorContext, "deps">): Promise<CheckResult> {
  const { deps } = ctx;
  const name = "claude code";
  const fix = "npm install -g @anthropic-ai/claude-code";
  const program = deps.findClaude();
  if (!program) return { name, ok: false, detail: "`claude` is not on PATH (`mallex run` would fetch it with npx every time)", fix };
  const result = await deps.run(program, ["--version"], { timeoutMs: 10_000 });
  if (result.ok) return { name, ok: true, detail: `${result.stdout.trim().split("\n")[0] || "claude"} at ${program}` };
  const why = (result.stderr || result.stdout).trim().split("\n")[0] ?? "";
  return { name, ok: false, detail: `\`${program} --version\` failed${why ? `: ${why}` : ""}`, fix: `reinstall it: ${fix}` };
}
