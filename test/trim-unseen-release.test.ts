/**
 * A Claude Code release the built-in own lines were never learned from (2.1.260, between the checked
 * ones), trimmed before and after `mallex run` learned its own text from the installed CLI (issue
 * 49): before, its new sections ("Delivering work", "Corrections") are kept as the user's and the cut
 * of its own text falls short; after, it reaches the goals and the user's text — CLAUDE.md and an
 * appended prompt — still reaches the model word for word. Each request is captured from the real
 * CLI (offline, against a fake API on loopback), learned by the library function `mallex run` calls,
 * and trimmed as `mallex explain` trims it, in process and through the CLI.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RoutingTable } from "../src/compile/routing-table.js";
import { loadClaudeCodeLines, type ClaudeCodeLines } from "../src/observe/claude-code-lines.js";
import { learnClaudeCodeLines } from "../src/observe/learn-claude-code-lines.js";
import { explainRequest, type Explanation } from "../src/pipeline/explain-request.js";
import type { Templates } from "../src/templates/load-templates.js";
import type { MessagesRequest } from "../src/translate/anthropic-types.js";
import { builtInCovers } from "../src/trim/claude-code/own-lines.js";
import { captureFirstRequest, unseenClaudeCode, type ClaudeCodeVersion } from "./helpers/claude-code-versions.js";
import { runCli } from "./helpers/run-cli.js";
import { firstProfileOfSize, loadShipped } from "./helpers/trim-helpers.js";
import { RUN_ENV, describeUnseenMissing, learnUnseen } from "./helpers/unseen-release.js";

const unseen = unseenClaudeCode();

/** The goals for Claude Code's own text cut. */
const GOALS = { small: 0.95, medium: 0.9 } as const;
const APPENDED = "Always answer in French, and sign every answer with Ada.";
/** The capture project's CLAUDE.md (makeProject's) as the system prompt shows it. */
const CLAUDE_MD_KEPT = "Contents of CLAUDE.md:\n\n# Project notes\n- Keep answers short.";
const QUESTION = "what is 2+2";

/**
 * Claude Code's own text cut, counting as the user's only what the user wrote: the report's figure
 * counts whatever it took for the user's, which hides a release's own text kept as theirs.
 */
const ownCut = (explanation: Explanation, userChars: number) => 1 - (explanation.after.chars - userChars) / (explanation.before.chars - userChars);

if ("missing" in unseen) describeUnseenMissing("an unseen Claude Code release", unseen.missing);
else {
  const claudeCode: ClaudeCodeVersion = unseen;
  describe(`Claude Code ${claudeCode.version}, which the built-in own lines were not learned from`, () => {
    let table: RoutingTable;
    let templates: Templates;
    let mallexHome: string;
    let lines: ClaudeCodeLines;
    beforeAll(async () => {
      ({ table, templates } = await loadShipped());
      const learned = await learnUnseen(claudeCode);
      ({ mallexHome, lines } = learned);
      expect(learned.outcome).toMatchObject({ kind: "learned", version: claudeCode.version });
    }, 120_000);

    it("is no release the built-in lines cover, and learning it again finds it in MALLEX_HOME", async () => {
      expect(builtInCovers(claudeCode.version)).toBe(false);
      expect(await learnClaudeCodeLines({ bin: claudeCode.bin, env: RUN_ENV, mallexHome, lines })).toEqual({ kind: "cached", version: claudeCode.version });
      expect(loadClaudeCodeLines(mallexHome).learned.get(claudeCode.version)).toEqual(lines.learned.get(claudeCode.version));
    });

    for (const [variant, env, args, userText] of [
      // The case: 3,434 characters of Claude Code's "Delivering work" and "Corrections" kept as the user's.
      [
        "with a prompt the user appends (--append-system-prompt)",
        {},
        ["--append-system-prompt", APPENDED],
        APPENDED.length + CLAUDE_MD_KEPT.length + QUESTION.length,
      ],
      // On a local model's name it words its prompt otherwise: one long line of its own (632 characters) kept as the user's on small.
      ["as mallex run launches it", RUN_ENV, [], CLAUDE_MD_KEPT.length + QUESTION.length],
    ] as const) {
      describe(variant, () => {
        let request: MessagesRequest;
        let headers: Record<string, string>;
        beforeAll(async () => {
          ({ body: request, headers } = await captureFirstRequest(claudeCode, { env, args: [...args] }));
        }, 90_000);
        const appended = userText > CLAUDE_MD_KEPT.length + QUESTION.length;

        for (const size of ["small", "medium"] as const) {
          const goal = GOALS[size];
          it(`${size}: its own text taken for the user's before learning; after, only the user's text is theirs, kept word for word, and the cut holds the goal`, () => {
            const explain = (learned?: ClaudeCodeLines["learned"]) =>
              explainRequest(request, { table, profile: firstProfileOfSize(table, size), templates, userAgent: headers["user-agent"], learned });
            const before = explain();
            const after = explain(lines.learned);
            console.log(
              `own-text cut | ${claudeCode.version} | ${variant} | ${size} | before learning ${(ownCut(before, userText) * 100).toFixed(1)}% (${before.after.chars} chars, reported as the user's ${before.cut.userChars}) | after ${(after.cut.claudeCode * 100).toFixed(1)}% (${after.after.chars} chars, the user's ${after.cut.userChars})`,
            );
            // Before: Claude Code's new lines are "their own system prompt lines", kept and left out of the cut.
            if (appended || size === "small") expect(before.cut.userChars).toBeGreaterThan(userText + 600);
            if (appended) {
              expect(JSON.stringify(before.upstream)).toContain("# Delivering work");
              expect(ownCut(before, userText)).toBeLessThan(goal);
            }
            expect(before.claudeCode?.ownLines).toBeUndefined();

            expect(after.cut.userChars).toBe(userText);
            expect(after.claudeCode).toEqual({ version: claudeCode.version, unplaced: [], ownLines: "learned" });
            expect(after.system).toMatchObject({ mode: "template", template: `system-${size}` });
            expect(after.cut.claudeCode).toBeGreaterThanOrEqual(goal);
            const upstream = JSON.stringify(after.upstream);
            expect(upstream).not.toContain("# Delivering work");
            expect(upstream).not.toContain("# Corrections");
            expect(upstream).toContain(JSON.stringify(CLAUDE_MD_KEPT).slice(1, -1));
            expect(upstream).toContain(QUESTION);
            const parts = after.user.map((part) => `${part.part} ${part.chars}: ${part.fate}`);
            expect(parts).toContain(`CLAUDE.md ${CLAUDE_MD_KEPT.length}: system prompt`);
            if (appended) {
              expect(upstream).toContain(APPENDED);
              expect(parts).toContain(`their own system prompt lines ${APPENDED.length}: system prompt`);
            } else expect(parts.join("\n")).not.toContain("their own system prompt lines");
          });
        }

        it("`mallex explain` reads the learned lines from MALLEX_HOME: without them the new sections are the user's, with them the cut reaches the goals", async () => {
          const file = join(mkdtempSync(join(tmpdir(), "mallex-capture-")), "request.json");
          writeFileSync(file, JSON.stringify({ headers, body: request }));
          for (const size of ["small", "medium"] as const) {
            const explain = async (home: string) => {
              const result = await runCli(["explain", file, "--size", size, "--json"], { env: { MALLEX_HOME: home } });
              expect(result.exitCode, result.stderr).toBe(0);
              return JSON.parse(result.stdout) as Explanation;
            };
            const before = await explain(mkdtempSync(join(tmpdir(), "mallex-state-")));
            const after = await explain(mallexHome);
            if (appended || size === "small") expect(before.cut.userChars).toBeGreaterThan(userText + 600);
            expect(after.cut).toMatchObject({ userChars: userText });
            expect(after.cut.claudeCode).toBeGreaterThanOrEqual(GOALS[size]);
            expect(after.claudeCode?.ownLines).toBe("learned");
          }
          const text = await runCli(["explain", file, "--size", "small"], { env: { MALLEX_HOME: mallexHome } });
          expect(text.stdout).toContain(
            `Claude Code ${claudeCode.version} (its own text as learned from its installed CLI): every part of its request placed by a rule.`,
          );
        }, 120_000);
      });
    }
  });
}
