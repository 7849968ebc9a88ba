import { describe, expect, it } from "vitest";
import { createUserListMemo, describeUnreachableItems, findUserListItems, findUserListItemsOnce } from "../../src/trim/claude-code/own-list-items.js";
import { linePrint } from "../../src/trim/claude-code/line-print.js";

const OWN = new Set(
  ["- Explore: Read-only search agent. (Tools: All tools)", "- update-config: Use this skill to configure the harness."].map((line) => linePrint(line)!),
);
const REMINDER = [
  "Available agent types for the Agent tool:",
  "- Explore: Read-only search agent. (Tools: All tools)",
  "- reviewer: Reviews a diff for bugs. (Tools: Read, Grep)",
  "",
  "When you launch multiple agents, send them in one message.",
  "",
  "The following skills are available for use with the Skill tool:",
  "",
  "- update-config: Use this skill to configure the harness.",
  "- deploy: Deploys the app.",
  "TRIGGER when: the user says ship it",
  "- lint: Runs the linter.",
].join("\n");

describe("findUserListItems: the user's own agents and skills in Claude Code's lists", () => {
  it("takes the items no Claude Code release lists, up to the blank line that ends each list, each with the lines its description runs on over", () => {
    expect(findUserListItems(REMINDER, OWN)).toEqual([
      { header: "Available agent types for the Agent tool:", what: "agents", tool: "Agent", items: ["reviewer: Reviews a diff for bugs. (Tools: Read, Grep)"] },
      {
        header: "The following skills are available for use with the Skill tool:",
        what: "skills",
        tool: "Skill",
        items: ["deploy: Deploys the app.\nTRIGGER when: the user says ship it", "lint: Runs the linter."],
      },
    ]);
  });

  it("leaves out the lines a Claude Code item's description runs on over", () => {
    const own = new Set([...OWN, linePrint("- deploy: Deploys the app.")!]);
    expect(findUserListItems(REMINDER, own)[1]?.items).toEqual(["lint: Runs the linter."]);
  });

  it("reads 2.1.100's list in the Agent tool's description, worded otherwise", () => {
    const description =
      "Launch a new agent.\n\nAvailable agent types and the tools they have access to:\n- Explore: Read-only search agent. (Tools: All tools)\n- reviewer: Reviews a diff for bugs. (Tools: Read, Grep)\n\nWhen using the Agent tool, specify a subagent_type.";
    expect(findUserListItems(description, OWN)).toEqual([
      {
        header: "Available agent types and the tools they have access to:",
        what: "agents",
        tool: "Agent",
        items: ["reviewer: Reviews a diff for bugs. (Tools: Read, Grep)"],
      },
    ]);
  });

  it("finds nothing in lists of Claude Code's own, or without the lists", () => {
    expect(findUserListItems(REMINDER.replace(/- (reviewer|deploy|lint)[^\n]*\n?/g, ""), OWN)).toEqual([]);
    expect(findUserListItems("- reviewer: a list of nothing in particular", OWN)).toEqual([]);
  });
});

describe("findUserListItemsOnce: the same, remembered per text", () => {
  it("answers as findUserListItems, from the memo the second time, and without a memo or a list header at all", () => {
    const memo = createUserListMemo();
    const first = findUserListItemsOnce(REMINDER, memo);
    expect(first).toEqual(findUserListItems(REMINDER));
    expect(memo.size).toBe(1);
    expect(findUserListItemsOnce(`${REMINDER}`, memo)).toBe(first);
    expect(findUserListItemsOnce(REMINDER)).toEqual(first);
    expect(findUserListItemsOnce("Available agents: none.\n- reviewer: Reviews.", memo)).toEqual([]);
    expect(memo.size).toBe(1);
  });
});

describe("describeUnreachableItems", () => {
  it("names each item in one paragraph that names no tool, word for word however long (issue 49: cut at 160 characters)", () => {
    const long = `tester: Writes the tests a change needs: ${"unit tests for each module it touches, ".repeat(5)}then runs them. (Tools: Read, Grep, Glob, Edit, Bash)`;
    const text = describeUnreachableItems([
      { what: "agents", items: ["reviewer: Reviews a diff.", long] },
      { what: "skills", items: ["deploy: Deploys the app.\nTRIGGER when: the user says ship it"] },
    ]);
    expect(text.split("\n")).toEqual([
      "The user's own agents and skills, which you cannot start (if one fits the task, tell the user):",
      "- agent reviewer: Reviews a diff.",
      `- agent ${long}`,
      "- skill deploy: Deploys the app.",
      "TRIGGER when: the user says ship it",
    ]);
    expect(text).not.toContain("…");
    expect(text).not.toMatch(/\b(Agent|Skill)\b/);
  });
});
