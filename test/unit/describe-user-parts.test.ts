import { describe, expect, it } from "vitest";
import { describeUserParts, userPartChars } from "../../src/trim/system-prompt/describe-user-parts.js";
import { describeTrimRules } from "../../src/trim/summarize-trim-report.js";
import type { TrimReport } from "../../src/trim/trim-types.js";

const INSTRUCTIONS = "# MCP Server Instructions\n## tickets\nTicket ids look like OPS-12: call lookup_ticket.\n\n## docs\nSearch the handbook first.\n";

describe("describeUserParts: each part the user wrote or configured, and what became of it", () => {
  it("names CLAUDE.md and the appended lines the template placed, the hooks' output, the agents named, each MCP server's instructions and tools", () => {
    const parts = describeUserParts({
      system: {
        passages: 2,
        chars: 90,
        placed: true,
        parts: [
          { part: "their own system prompt lines", chars: 30 },
          { part: "CLAUDE.md", chars: 60 },
        ],
      },
      rules: [
        { rule: "hook-output", target: "messages.0.content.1 (reminder 1)", charsRemoved: 80, userChars: 48 },
        { rule: "user-agents-named", target: "messages.0.content.2 (reminder 1)", charsRemoved: -120 },
        { rule: "git", target: "messages.0.content.2 (reminder 1)", charsRemoved: 300 },
      ],
      client: ["mcp__docs__search"],
      deferred: ["mcp__tickets__lookup_ticket"],
      toolSearch: true,
      // 2.1.330 sends the instructions in a system message (the request's messages), earlier releases in a reminder.
      messages: [
        { role: "user", content: [{ type: "text", text: "what is OPS-12?" }] },
        { role: "system" as "user", content: [{ type: "text", text: `<system-reminder>\n${INSTRUCTIONS}\n# Other\nnot theirs\n</system-reminder>` }] },
      ],
    });
    expect(parts).toEqual([
      { part: "their own system prompt lines", chars: 30, fate: "system prompt" },
      { part: "CLAUDE.md", chars: 60, fate: "system prompt" },
      { part: "the hooks' output", chars: 48, fate: "conversation" },
      { part: "their agents and skills", chars: 120, fate: "named in one line" },
      { part: "MCP server tickets: instructions", chars: "Ticket ids look like OPS-12: call lookup_ticket.".length, fate: "conversation" },
      { part: "MCP server docs: instructions", chars: "Search the handbook first.".length, fate: "conversation" },
      { part: "mcp__tickets__lookup_ticket", chars: 27, fate: "through ToolSearch" },
      { part: "mcp__docs__search", chars: 0, fate: "offered" },
    ]);
    expect(userPartChars(parts)).toBe(30 + 60 + 48 + 120 + 48 + 26 + 27);
  });

  it("counts an output style in the conversation's opening as the user's (2.1.330 sends it in a system message; issue 49 counted it as Claude Code's)", () => {
    const style = "# Output Style: Terse reviewer\nAnswer in one line.\n\n## Citations\nCite every claim as file:line.";
    const parts = describeUserParts({
      rules: [],
      client: [],
      deferred: [],
      toolSearch: false,
      messages: [
        { role: "system" as "user", content: `${style}\n\nTerse reviewer output style is active. Remember to follow the specific guidelines for this style.` },
        { role: "user", content: "what is 2+2" },
        { role: "assistant", content: "4" },
        { role: "user", content: "# Output Style: Later\nnot read after the first answer" },
      ],
    });
    expect(parts).toEqual([{ part: "output style Terse reviewer", chars: style.length, fate: "conversation" }]);
  });

  it("says what is lost: the user's lines a template could not place, MCP tools with no ToolSearch to reach them", () => {
    const parts = describeUserParts({
      system: { passages: 1, chars: 40, placed: false, parts: [{ part: "their own system prompt lines", chars: 40 }] },
      rules: [],
      client: [],
      deferred: ["mcp__a__b"],
      toolSearch: false,
      messages: [],
    });
    expect(parts.map((part) => part.fate)).toEqual(["not placed", "not offered"]);
    expect(userPartChars(parts)).toBe(0);
    const report: TrimReport = {
      rules: [],
      before: { chars: 1000, tokens: 250 },
      after: { chars: 100, tokens: 25 },
      system: { mode: "passthrough", reason: "test" },
      tools: { mode: "native", offered: [], client: [] },
      prefixTokens: 0,
      user: parts,
    };
    // The log line says it in as many words, not as a count that hides it.
    expect(describeTrimRules(report)).toBe("no rule fired · the user's text NOT kept: their own system prompt lines 40 not placed, mcp__a__b 9 not offered");
  });

  it("the log line names at most four parts, then how many more", () => {
    const user = Array.from({ length: 6 }, (_, i) => ({ part: `MCP server s${i}: instructions`, chars: 10, fate: "conversation" as const }));
    const report: TrimReport = {
      rules: [],
      before: { chars: 1000, tokens: 250 },
      after: { chars: 100, tokens: 25 },
      system: { mode: "passthrough", reason: "test" },
      tools: { mode: "native", offered: [], client: [] },
      prefixTokens: 0,
      user,
    };
    expect(describeTrimRules(report)).toBe(
      "no rule fired · the user's text kept whole: 60 chars (MCP server s0: instructions 10 in the conversation, MCP server s1: instructions 10 in the conversation, MCP server s2: instructions 10 in the conversation, MCP server s3: instructions 10 in the conversation +2 more)",
    );
  });
});
