import { describe, expect, it } from "vitest";
import { findOutputStyle } from "../../src/trim/claude-code/find-user-system-text.js";
import { linePrint } from "../../src/trim/claude-code/line-print.js";

/** "Claude Code's own lines", as the learning script makes them. */
const OWN = new Set(["# Context management", "When working with tool results, write down any important information."].map((line) => linePrint(line)!));
const STYLE = "# Output Style: Terse reviewer\nAnswer in one line with no preamble.\n\n## Citations\nCite every claim as file:line.";

describe("findOutputStyle: the user's output style under Claude Code's heading", () => {
  it("takes the heading and the style's lines, blank lines and headings of its own included, up to Claude Code's next own line", () => {
    expect(
      findOutputStyle(`You are Claude.\n\n${STYLE}\n\n# Context management\nWhen working with tool results, write down any important information.`, OWN),
    ).toEqual({
      name: "Terse reviewer",
      text: STYLE,
    });
  });

  it("ends at Claude Code's reminder that the style is active, at one of its lists, and at mallex's paragraph naming the user's agents", () => {
    for (const after of [
      "Terse reviewer output style is active. Remember to follow the specific guidelines for this style.",
      "Available agent types for the Agent tool:\n- reviewer: Reviews.",
      "The following skills are available for use with the Skill tool:\n\n- deploy: Deploys.",
      'The following deferred tools are now available via ToolSearch: load one (query "select:<name>") before calling it:\nWebFetch',
      "The user's own skills, which you cannot start (if one fits the task, tell the user):\n- skill deploy: Deploys.",
    ])
      expect(findOutputStyle(`${STYLE}\n\n${after}`, OWN)?.text).toBe(STYLE);
    expect(findOutputStyle(`${STYLE}\n`, OWN)?.text).toBe(STYLE);
  });

  it("reads a style that opens the text or ends it, and is undefined where no style is", () => {
    expect(findOutputStyle(`${STYLE}\n\n# Context management`, OWN)?.text).toBe(STYLE);
    expect(findOutputStyle(`Before.\n${STYLE}`, OWN)?.text).toBe(STYLE);
    expect(findOutputStyle("You are Claude.\nOutput Style: not a heading # Output Style: nor this", OWN)).toBeUndefined();
    expect(findOutputStyle(`${"pasted line\n".repeat(100_000)}`, OWN)).toBeUndefined();
  });
});
