/**
 * Claude Code's own lines learned from a release the built-in ones were not learned from (issue 49:
 * 2.1.260's "Delivering work" and "Corrections" were kept as the user's): what a capture yields, how
 * a learned release is kept in MALLEX_HOME (prints only), and trimming by it — through the prefix
 * cache, which keys on which lines are Claude Code's.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import {
  claudeCodeLinesDir,
  claudeCodeLinesPath,
  formatLearnedRelease,
  loadClaudeCodeLines,
  parseLearnedRelease,
  saveLearnedRelease,
} from "../../src/observe/claude-code-lines.js";
import { describeLearnOutcome } from "../../src/observe/learn-claude-code-lines.js";
import { checkMessagesBody } from "../../src/pipeline/check-messages-body.js";
import { loadValidator } from "../../src/shared/load-validator.js";
import type { Templates } from "../../src/templates/load-templates.js";
import type { MessagesRequest } from "../../src/translate/anthropic-types.js";
import { CLAUDE_CODE_OWN_LINES, LEARNED_CLAUDE_CODE_RELEASES } from "../../src/trim/claude-code/claude-code-own-lines.js";
import { linePrint } from "../../src/trim/claude-code/line-print.js";
import { BUILT_IN_OWN_LINES, builtInCovers, ownLinesFor, withLearnedLines } from "../../src/trim/claude-code/own-lines.js";
import { ownLinesOfRequest } from "../../src/trim/claude-code/own-lines-of-request.js";
import { trimPlanFor } from "../../src/trim/plan-trim.js";
import { createPrefixCache, type PrefixCache } from "../../src/trim/prefix-cache.js";
import { trimRequest } from "../../src/trim/trim-request.js";
import { packageRoot } from "../helpers/config-tree.js";
import { describeWithShared, readCapture } from "../helpers/shared-dir.js";
import { firstProfileOfSize, loadShipped } from "../helpers/trim-helpers.js";

const prints = (...lines: string[]) => lines.map((line) => linePrint(line)!);

describe("ownLinesOfRequest: the prints of what Claude Code wrote in a capture", () => {
  const request: Pick<MessagesRequest, "system" | "messages"> = {
    system: [
      { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.260.a16; cc_entrypoint=sdk-cli;" },
      { type: "text", text: "You are a Claude agent." },
      {
        type: "text",
        text: "# Delivering work\nDo ordinary work as asked.\nMARKER the user's line\n\ngitStatus: This is the git status\nCurrent branch: main",
      },
    ],
    messages: [
      {
        role: "user",
        content: [
          {
            type: "text",
            text: "<system-reminder>\nAvailable agent types for the Agent tool:\n- Explore: Fast agent for exploring codebases.\n- Plan: Software architect agent.\n\nAfter the list.\n</system-reminder>",
          },
          { type: "text", text: "what is 2+2" },
        ],
      },
    ],
  };

  it("holds its prompt's lines up to the repository's state and its lists' items with their names alone, not the billing block or the skipped marker", () => {
    const own = ownLinesOfRequest(request, "MARKER");
    expect([...own].sort()).toEqual(
      prints(
        "You are a Claude agent.",
        "# Delivering work",
        "Do ordinary work as asked.",
        "- Explore: Fast agent for exploring codebases.",
        "- Explore",
        "- Plan: Software architect agent.",
        "- Plan",
      ).sort(),
    );
    // Without the marker to skip, the capture's every line is Claude Code's.
    expect(ownLinesOfRequest(request).has(linePrint("MARKER the user's line")!)).toBe(true);
  });
});

describe("own lines by release", () => {
  it("a learned release holds the built-in lines too, and its key names its own lines whatever their order", () => {
    const learned = withLearnedLines(prints("# Delivering work", "# Corrections"));
    for (const print of CLAUDE_CODE_OWN_LINES) expect(learned.prints.has(print)).toBe(true);
    expect(learned.prints.has(linePrint("# Corrections")!)).toBe(true);
    expect(withLearnedLines(prints("# Corrections", "# Delivering work", "# Corrections")).key).toBe(learned.key);
    expect(withLearnedLines(prints("# Corrections")).key).not.toBe(learned.key);
    expect(learned.key).not.toBe(BUILT_IN_OWN_LINES.key);
  });

  it("a request's release picks its learned lines; any other release, or none named, the built-in ones", () => {
    const learned = new Map([["2.1.260", withLearnedLines(prints("# Corrections"))]]);
    expect(ownLinesFor("2.1.260", learned)).toBe(learned.get("2.1.260"));
    expect(ownLinesFor("2.1.261", learned)).toBe(BUILT_IN_OWN_LINES);
    expect(ownLinesFor(undefined, learned)).toBe(BUILT_IN_OWN_LINES);
    expect(ownLinesFor("2.1.260", undefined)).toBe(BUILT_IN_OWN_LINES);
  });

  it("the built-in lines cover exactly the releases the project's scripts learned", () => {
    for (const version of LEARNED_CLAUDE_CODE_RELEASES) expect(builtInCovers(version)).toBe(true);
    expect(builtInCovers("2.1.260")).toBe(false);
  });
});

describe("a learned release in MALLEX_HOME", () => {
  const release = { version: "2.1.260", prints: prints("# Delivering work", "# Corrections"), learnedAt: "2026-11-26T00:00:00.000Z" };

  it("is its prints and nothing of the text, read back as written; another format, a damaged file or a line of text is none", () => {
    const text = formatLearnedRelease(release);
    expect(text).not.toContain("Delivering");
    expect(parseLearnedRelease(text)).toEqual({ ...release, prints: [...release.prints].sort() });
    const file = JSON.parse(text) as Record<string, unknown>;
    expect(parseLearnedRelease(JSON.stringify({ ...file, format: "mallex-claude-code-lines/0" }))).toBeUndefined();
    expect(parseLearnedRelease(JSON.stringify({ ...file, prints: ["# Delivering work"] }))).toBeUndefined();
    expect(parseLearnedRelease(JSON.stringify({ ...file, prints: [] }))).toBeUndefined();
    expect(parseLearnedRelease(JSON.stringify({ ...file, version: "../../x" }))).toBeUndefined();
    expect(parseLearnedRelease(text.slice(0, 40))).toBeUndefined();
    expect(claudeCodeLinesPath("/home", "../x")).toBeUndefined();
  });

  it("is saved private, and every proxy that starts after reads it; a release the built-in lines cover, or a file that is not one, is left out", () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-lines-"));
    expect(loadClaudeCodeLines(home).learned.size).toBe(0);
    saveLearnedRelease(home, release);
    saveLearnedRelease(home, { ...release, version: LEARNED_CLAUDE_CODE_RELEASES[0] });
    writeFileSync(join(claudeCodeLinesDir(home), "2.1.261.json"), "{ not json");
    expect(readdirSync(claudeCodeLinesDir(home)).sort()).toEqual(["2.1.260.json", "2.1.261.json", `${LEARNED_CLAUDE_CODE_RELEASES[0]}.json`].sort());
    expect(statSync(claudeCodeLinesDir(home)).mode & 0o777).toBe(0o700);
    expect(statSync(claudeCodeLinesPath(home, "2.1.260")!).mode & 0o777).toBe(0o600);
    const lines = loadClaudeCodeLines(home);
    expect([...lines.learned.keys()]).toEqual(["2.1.260"]);
    expect(lines.learned.get("2.1.260")).toEqual(withLearnedLines(release.prints));
    // What `mallex run` learns after the proxy started is added to the same lookup.
    lines.add({ version: "2.1.262", prints: prints("# Something new") });
    expect(ownLinesFor("2.1.262", lines.learned).prints.has(linePrint("# Something new")!)).toBe(true);
    expect(readFileSync(claudeCodeLinesPath(home, "2.1.260")!, "utf8")).not.toMatch(/Delivering|Corrections/);
  });
});

describe("what `mallex run` says of it", () => {
  it("one line when it learned or could not, with the time it took; nothing when the lines were known", () => {
    expect(describeLearnOutcome({ kind: "learned", version: "2.1.260", ms: 1437, lines: 132 })).toBe(
      "mallex: learned Claude Code 2.1.260's own text (1.4 s): trimming now tells it from yours",
    );
    expect(describeLearnOutcome({ kind: "failed", version: "2.1.260", why: "exit 1\nmore" })).toMatch(
      /^mallex: could not learn Claude Code 2\.1\.260's own text \(exit 1\): trimming goes by the releases it was checked against \(\d+\.\d+\.\d+–\d+\.\d+\.\d+\)$/,
    );
    expect(describeLearnOutcome({ kind: "covered", version: "2.1.197" })).toBeUndefined();
    expect(describeLearnOutcome({ kind: "cached", version: "2.1.260" })).toBeUndefined();
  });
});

describeWithShared("trimming a release's request by the lines learned from it", () => {
  let table: RoutingTable;
  let templates: Templates;
  beforeAll(async () => {
    ({ table, templates } = await loadShipped());
  });

  // 2.1.260's new sections, written into 2.1.197's captured prompt, and the user's appended sentence after it.
  const NEW_SECTION = "# Delivering work\nDo ordinary work as asked, acting on the actual request rather than on speculation about what lies behind it.";
  const APPENDED = "Always answer in French, and sign every answer with Ada.";
  const request = (): MessagesRequest => {
    const capture = readCapture<MessagesRequest>("main-request-2plus2.json").body;
    const system = capture.system as { type: "text"; text: string }[];
    const prompt = system[2]!.text.replace("# Memory", `${NEW_SECTION}\n\n# Memory`);
    return { ...capture, system: [system[0]!, system[1]!, { ...system[2]!, text: `${prompt}\n\n${APPENDED}` }] };
  };
  const learned = new Map([["2.1.197", withLearnedLines(ownLinesOfRequest({ system: [{ type: "text", text: NEW_SECTION }], messages: [] }))]]);

  it.each(["small", "medium"] as const)(
    "%s: without them the new section is kept as the user's; with them it goes, the user's sentence stays whole, and the report says the lines were learned",
    async (size) => {
      const plan = trimPlanFor(table, firstProfileOfSize(table, size));
      const validate = await loadValidator(packageRoot, "validate-messages");
      const text = JSON.stringify(request());
      // The server's path: one prefix cache for both, the prefix found by the body's text.
      const cache = createPrefixCache();
      const trim = (options: { learned?: typeof learned; cache?: PrefixCache }) => {
        const check = checkMessagesBody(text, validate, options.cache === undefined ? {} : { cache: options.cache });
        if (!check.ok) throw new Error(check.message);
        return trimRequest(check.request, plan, templates, { ...options, ...(options.cache ? { source: check.source } : {}) });
      };
      const userLines = (trimmed: ReturnType<typeof trim>) =>
        trimmed.report.system.mode === "template" ? trimmed.report.system.user?.parts.find((part) => part.part === "their own system prompt lines") : undefined;

      const unlearned = trim({ cache });
      expect(JSON.stringify(unlearned.request.system)).toContain("Do ordinary work as asked");
      expect(userLines(unlearned)?.chars).toBe(NEW_SECTION.length + APPENDED.length);
      expect(unlearned.report.claudeCode?.ownLines).toBeUndefined();

      for (const trimmed of [trim({ learned, cache }), trim({ learned })]) {
        const system = JSON.stringify(trimmed.request.system);
        expect(system).not.toContain("Do ordinary work as asked");
        expect(system).toContain(APPENDED);
        expect(userLines(trimmed)?.chars).toBe(APPENDED.length);
        expect(trimmed.report.claudeCode?.ownLines).toBe("learned");
      }
      // The learned lines are another prefix: trimmed anew, then found.
      expect(cache.stats()).toEqual({ hits: 0, misses: 2 });
      expect(JSON.stringify(trim({ learned, cache }).request.system)).not.toContain("Do ordinary work as asked");
      expect(cache.stats()).toEqual({ hits: 1, misses: 2 });
    },
  );
});
