import { describe, expect, it } from "vitest";
import { findUserSystemText, replacedPromptStart } from "../../src/trim/claude-code/find-user-system-text.js";
import { linePrint } from "../../src/trim/claude-code/line-print.js";

/** A set of "Claude Code's own lines" made from the given lines, as the learning script makes it. */
const own = (...lines: string[]) => new Set(lines.map((line) => linePrint(line)!));

const CLAUDE = own(
  "You are an interactive agent.",
  "# Doing tasks",
  " - Prefer editing files.",
  "You have a persistent memory at `/home/a/.claude/memory/`.",
  "Recent commits:",
);

describe("findUserSystemText: what the user wrote into a Claude Code system prompt", () => {
  it("is nothing when every line is Claude Code's own", () => {
    expect(findUserSystemText("You are an interactive agent.\n\n# Doing tasks\n - Prefer editing files.\n", [], CLAUDE)).toEqual([]);
  });

  it("finds an appended sentence wherever it sits, in prompt order, one passage per run of the user's lines", () => {
    const text =
      "You are an interactive agent.\n\nAlways answer in French.\nUse British spelling.\n\n# Doing tasks\n - Prefer editing files.\n\n# Output Style: Terse\nOne line per answer.";
    expect(findUserSystemText(text, [], CLAUDE)).toEqual(["Always answer in French.\nUse British spelling.", "# Output Style: Terse\nOne line per answer."]);
  });

  it("keeps blank lines inside a passage and none around it", () => {
    expect(findUserSystemText("# Doing tasks\n\n\nFirst rule.\n\nSecond rule.\n\n\n - Prefer editing files.", [], CLAUDE)).toEqual([
      "First rule.\n\nSecond rule.",
    ]);
  });

  it("knows Claude Code's lines whatever the session puts in them: paths, git hashes, numbers", () => {
    const text = "You have a persistent memory at `/tmp/cap-home-x9/.claude/projects/-tmp-p/memory/`.\n  You are   an interactive   agent.";
    expect(findUserSystemText(text, [], CLAUDE)).toEqual([]);
    expect(linePrint("c04c6ad fix 12 bugs")).toBe(linePrint("9e1f2a3b fix 3 bugs"));
    expect(linePrint("Always answer in French.")).not.toBe(linePrint("Always answer in German."));
  });

  it("leaves out what a keep rule placed (the environment, the git status): it is in the template already", () => {
    const git = "gitStatus: snapshot\nCurrent branch: main\n\nRecent commits:\nc04c6ad initial commit";
    expect(findUserSystemText(`You are an interactive agent.\n\nReply tersely.\n\n${git}`, [git], CLAUDE)).toEqual(["Reply tersely."]);
    expect(findUserSystemText(`You are an interactive agent.\n\n${git}`, [], CLAUDE)).toEqual([
      "gitStatus: snapshot\nCurrent branch: main",
      "c04c6ad initial commit",
    ]);
  });

  it("takes a replaced system prompt (--system-prompt) whole", () => {
    expect(findUserSystemText("You review SQL.\n\nNever run DROP.", [], CLAUDE)).toEqual(["You review SQL.\n\nNever run DROP."]);
  });

  it("reads a line of megabytes without a pathological regex", () => {
    const long = `${"a/".repeat(500_000)} ${"7".repeat(500_000)}`;
    expect(findUserSystemText(`You are an interactive agent.\n${long}`, [], CLAUDE)).toEqual([long]);
  });
});

describe("replacedPromptStart: where the user's own prompt takes the place of Claude Code's", () => {
  const billing = { type: "text" as const, text: "x-anthropic-billing-header: cc_version=2.1.197.84c; cc_entrypoint=sdk-cli;" };
  const identity = { type: "text" as const, text: "You are Claude Code." };
  const mine = own("You are Claude Code.", "You are an interactive agent.", "Notes:");

  it("is the line the block after Claude Code's identity opens with, when that line is not Claude Code's (--system-prompt, a custom subagent)", () => {
    expect(replacedPromptStart([billing, identity, { type: "text", text: "\nYou review SQL.\n\nNotes:" }], mine)).toBe("You review SQL.");
    expect(replacedPromptStart([identity, { type: "text", text: "You review SQL." }], mine)).toBe("You review SQL.");
  });

  it("is undefined for Claude Code's own prompt, an appended line after it, no identity block, or a prompt in one string", () => {
    expect(replacedPromptStart([billing, identity, { type: "text", text: "You are an interactive agent.\n\nAlways answer in French." }], mine)).toBeUndefined();
    expect(replacedPromptStart([billing, { type: "text", text: "You review SQL." }], mine)).toBeUndefined();
    expect(replacedPromptStart([billing, identity], mine)).toBeUndefined();
    expect(replacedPromptStart("You are Claude Code.\nYou review SQL.", mine)).toBeUndefined();
    expect(replacedPromptStart(undefined, mine)).toBeUndefined();
  });
});
