/**
 * The shipped suite's checkers, run on their tasks' own files: an untouched working copy fails every
 * task, and what each checker says of it is true of it (an untouched copy was changed by nobody), and
 * a solved or half-solved copy gets the verdict and the words it earns.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSuite } from "../src/eval/load-suite.js";
import { makeWorkingCopy } from "../src/eval/make-working-copy.js";
import { runChecker } from "../src/eval/run-eval-task.js";
import { findPackageRoot } from "../src/shared/package-root.js";

const suite = loadSuite(join(findPackageRoot(), "eval", "suite"), []);

/** The task's checker on a fresh copy of its files, after `edit` changed them. */
async function check(name: string, edit: (dir: string) => void = () => {}) {
  const task = suite.find((t) => t.name === name)!;
  const copy = await makeWorkingCopy(task.repoDir, task.name);
  try {
    edit(copy.dir);
    const answer = join(copy.scratch, "answer.txt");
    writeFileSync(answer, "");
    return await runChecker(task, copy.dir, answer, 30);
  } finally {
    copy.remove();
  }
}

describe("the shipped suite's checkers", () => {
  it.each(suite.map((t) => t.name))("%s: an untouched copy fails, and the checker claims no change nobody made", async (name) => {
    const result = await check(name);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).not.toMatch(/\bchanged\b/i);
  });

  describe("claude-md-instructions", () => {
    const bump = (dir: string) => writeFileSync(join(dir, "package.json"), readFileSync(join(dir, "package.json"), "utf8").replace("2.3.4", "2.3.5"));
    const changelog = (dir: string, items: string[]) => writeFileSync(join(dir, "CHANGELOG.md"), `# Changelog\n\n${items.join("\n")}\n`);

    it("passes the chore done as CLAUDE.md says", async () => {
      expect(
        await check("claude-md-instructions", (dir) => (bump(dir), changelog(dir, ["- 2.3.5: released", "- 2.3.4: released", "- 2.3.3: released"]))),
      ).toMatchObject({ exitCode: 0 });
    });

    it("names what is wrong, and only that", async () => {
      expect((await check("claude-md-instructions")).output.trim()).toBe(
        'package.json\'s version is 2.3.4, expected 2.3.5; CHANGELOG.md has no new item: expected "- 2.3.5: released" first',
      );
      expect(
        (
          await check("claude-md-instructions", (dir) => (bump(dir), changelog(dir, ["- 1.2.4: released", "- 2.3.4: released", "- 2.3.3: released"])))
        ).output.trim(),
      ).toBe('CHANGELOG.md\'s new items are ["- 1.2.4: released"], expected ["- 2.3.5: released"]');
      expect((await check("claude-md-instructions", (dir) => (bump(dir), changelog(dir, ["- 2.3.5: released", "- 2.3.3: released"])))).output.trim()).toMatch(
        /^CHANGELOG\.md's earlier items were changed: \["- 2\.3\.5: released","- 2\.3\.3: released"\]/,
      );
    });
  });
});
