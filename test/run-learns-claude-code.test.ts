/**
 * `mallex run` with a Claude Code release the built-in own lines were never learned from (issue 49):
 * it learns that release's own text from the installed CLI once, before Claude Code gets the
 * terminal, keeps it in MALLEX_HOME (prints only), and trims the session's requests by it; the next
 * run reads it from there. A release that cannot be learned costs one line, and the run goes on.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claudeCodeLinesDir, claudeCodeLinesPath } from "../src/observe/claude-code-lines.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { makeProject, runClaude, runMallex } from "./helpers/claude-code.js";
import { PINNED_CLAUDE_CODE, unseenClaudeCode } from "./helpers/claude-code-versions.js";
import { startProxyProcess } from "./helpers/mallex-process.js";

const unseen = unseenClaudeCode();
const inCI = process.env.CI === "true";

/** A small model on the default tier: Claude Code 2.1.260 then writes a long line of its own that small trimming does not place. */
const SMALL_CONFIG = join(mkdtempSync(join(tmpdir(), "mallex-config-")), "small.yaml");
writeFileSync(SMALL_CONFIG, "include: [mallex]\ntiers:\n  low: { profile: qwen2.5-coder-7b }\n  medium: { profile: qwen2.5-coder-7b }\n");
/** What `mallex run` sets for that tier that changes Claude Code's prompt (claude-context-env.ts, claude-tool-search-env.ts). */
const RUN_ENV = { ENABLE_TOOL_SEARCH: "false", ANTHROPIC_MODEL: "mallex/qwen2.5-coder-7b" };

/** The line `mallex run` prints when it learned a release. */
const LEARNED = (version: string) =>
  new RegExp(`^mallex: learned Claude Code ${version.replaceAll(".", "\\.")}'s own text \\(\\d+\\.\\d s\\): trimming now tells it from yours$`, "m");

describe("mallex run and Claude Code's own text", () => {
  let mlx: FakeMlxServer;
  beforeAll(async () => {
    mlx = await createFakeMlxServer({ respond: () => ({ text: "2 + 2 = 4" }) });
  });
  afterAll(() => mlx.close());

  if ("missing" in unseen) {
    if (inCI)
      it("learns an unseen release", () => {
        throw new Error(unseen.missing);
      });
    else it.skip(unseen.missing, () => undefined);
  } else {
    const claudeCode = unseen;
    it(`learns Claude Code ${claudeCode.version}'s own text once, before launching it, keeps only its prints, trims by it, and reads it back on the next run`, async () => {
      const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
      const project = makeProject();
      const run = () =>
        runMallex(
          ["--config", SMALL_CONFIG, "--backend-url", mlx.url, "--", "-p", "what is 2+2", "--output-format", "json"],
          project,
          home,
          120_000,
          {},
          claudeCode,
        );

      const first = await run();
      expect(first.exitCode, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ is_error: false, result: "2 + 2 = 4" });
      expect(first.stderr).toMatch(LEARNED(claudeCode.version));
      console.log(first.stderr.split("\n").find((line) => LEARNED(claudeCode.version).test(line)));
      const file = claudeCodeLinesPath(home, claudeCode.version)!;
      expect(readdirSync(claudeCodeLinesDir(home))).toEqual([`${claudeCode.version}.json`]);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const saved = readFileSync(file, "utf8");
      // Hashes only: not a word of Claude Code's prompt (nor of anything else) is written.
      const kept = JSON.parse(saved) as { version: string; prints: string[] };
      expect(kept.version).toBe(claudeCode.version);
      expect(kept.prints.length).toBeGreaterThan(50);
      expect(kept.prints.every((print) => /^[A-Za-z0-9_-]{12}$/.test(print))).toBe(true);
      expect(saved).not.toMatch(/Delivering|Claude Code|CLAUDE\.md/);
      // The session's request was trimmed by them: nothing of Claude Code's is the user's, CLAUDE.md is.
      const log = readFileSync(join(home, "mallex.log"), "utf8");
      expect(log).toMatch(/ → qwen2\.5-coder-7b .*the user's text kept whole: [\d,]+ chars \(CLAUDE\.md [\d,]+ in the system prompt/);
      expect(log).not.toContain("their own system prompt lines");

      const second = await run();
      expect(second.exitCode, second.stderr).toBe(0);
      expect(second.stderr).not.toMatch(/learned Claude Code|could not learn/);
      expect(readFileSync(file, "utf8")).toBe(saved);
      expect(readFileSync(join(home, "mallex.log"), "utf8")).not.toContain("their own system prompt lines");

      // A proxy reads what was learned at its start; one that has not learned it takes Claude Code's own line for the user's.
      for (const [state, learned] of [
        [home, true],
        [mkdtempSync(join(tmpdir(), "mallex-state-")), false],
      ] as const) {
        const proxy = await startProxyProcess(["--config", SMALL_CONFIG, "--backend-url", mlx.url], state);
        try {
          const asked = await runClaude(proxy.url, project, ["-p", "what is 2+2", "--output-format", "json"], claudeCode, RUN_ENV);
          expect(asked.exitCode, asked.stderr).toBe(0);
        } finally {
          await proxy.stop();
        }
        const lines = readFileSync(join(state, "mallex.log"), "utf8")
          .split("\n")
          .filter((line) => line.includes(" → qwen2.5-coder-7b "));
        expect(lines.at(-1)).toMatch(
          learned ? /\(CLAUDE\.md [\d,]+ in the system prompt\)/ : /\(their own system prompt lines [\d,]+ in the system prompt, CLAUDE\.md/,
        );
      }
    }, 240_000);
  }

  it("learns nothing for a release the built-in lines were learned from (the pinned one) and says nothing of it", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    const result = await runMallex(["--backend-url", mlx.url, "--", "-p", "what is 2+2", "--output-format", "json"], makeProject(), home);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/learned Claude Code|could not learn/);
    expect(() => readdirSync(claudeCodeLinesDir(home))).toThrow();
  });

  it("a `claude` it cannot learn from costs one line, and Claude Code is launched all the same", async () => {
    // Says a release no mallex knows, and sends no request when captured.
    const dir = mkdtempSync(join(tmpdir(), "mallex-fake-claude-"));
    writeFileSync(join(dir, "claude"), `#!/bin/sh\nif [ "$1" = --version ]; then echo "2.1.999 (Claude Code)"; else echo "launched $*"; fi\n`, { mode: 0o755 });
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    const result = await runMallex(["--backend-url", mlx.url, "--", "hello"], makeProject(), home, 90_000, {
      PATH: `${dir}:${PINNED_CLAUDE_CODE.binDir}:/usr/bin:/bin`,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe("launched hello");
    const lines = result.stderr.split("\n").filter((line) => line.includes("could not learn"));
    expect(lines).toEqual([
      expect.stringMatching(
        /^mallex: could not learn Claude Code 2\.1\.999's own text \(.*sent no POST \/v1\/messages \(exit 0\): launched -p what is 2\+2 --output-format json\): trimming goes by the releases it was checked against \(/,
      ),
    ]);
    expect(() => readdirSync(claudeCodeLinesDir(home))).toThrow();
  });
});
