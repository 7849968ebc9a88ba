import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

/**
 * `npm test` without the shared folder, as a fresh clone runs it: vitest itself, in a process of its
 * own, on one suite that reads the folder. The notice says what is missing and what it holds, and
 * comes again after the summary, where the reader of a long run looks — not only above its first line.
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));

describe("the run's notice when the shared folder is missing", () => {
  it("says what is missing, what it holds and what to do, at the start and again at the very end", async () => {
    // Only what a user's shell has: none of this run's own vitest variables, no CI (which fails instead).
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("VITEST") && name !== "CI" && name !== "NODE_OPTIONS"));
    const missing = "/nonexistent/mallex-shared";
    // Both streams in one, as a terminal shows them: vitest writes its summary to stdout, the notices go to stderr.
    const run = await execa("sh", ["-c", "npx vitest run test/unit/untrimmed-plan.test.ts 2>&1"], {
      cwd: ROOT,
      env: { ...env, MALLEX_SHARED_DIR: missing, NO_COLOR: "1" },
      extendEnv: false,
      reject: false,
      timeout: 120_000,
    });
    expect(run.exitCode, run.stdout).toBe(0);
    const notice = [
      `mallex tests: no shared test data at ${missing} (Claude Code requests captured from the real CLI, tiny GGUF models; not committed here), so the suites that need it were skipped.`,
      "mallex tests: put the shared folder (fixtures/claude-code, models) beside this clone as ../shared, or set MALLEX_SHARED_DIR to it.",
    ];
    const lines = run.stdout.split("\n").filter((line) => line.trim() !== "");
    // At the start, before any test…
    const first = lines.indexOf(notice[0]!.replace("were skipped", "are skipped"));
    expect(first, run.stdout).toBeGreaterThan(-1);
    expect(lines[first + 1]).toBe(notice[1]);
    expect(first).toBeLessThan(lines.findIndex((line) => line.includes("untrimmed-plan.test.ts")));
    // …and as the last two lines, after the summary of skipped tests.
    expect(lines.slice(-2)).toEqual(notice);
    expect(lines.findIndex((line) => /Tests\s+1 skipped/.test(line))).toBeLessThan(lines.length - 2);
  }, 240_000);
});
