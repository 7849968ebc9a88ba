import { describe, expect, it } from "vitest";
import { deferredClientTools, pruneDeferredList } from "../../src/trim/deferred-client-tools.js";

const LIST = 'The following deferred tools are now available via ToolSearch. Their schemas are NOT loaded — use ToolSearch with query "select:<name>" first:\nCronCreate\nWebFetch\nmcp__tickets__lookup_ticket\nmcp__github__search\n\nAvailable agent types for the Agent tool:\n- Explore: searches';

describe("deferredClientTools: the user's MCP tools Claude Code names only in its tool-search list", () => {
  it("takes the names after the list's first line up to a blank line, leaving out Claude Code's built-ins", () => {
    expect(deferredClientTools([{ path: "messages.0.content.0 (reminder 2)", text: LIST }])).toEqual(["mcp__tickets__lookup_ticket", "mcp__github__search"]);
  });

  it("finds none without the list, or in a list of built-ins only", () => {
    expect(deferredClientTools([{ path: "messages.0", text: "mcp__tickets__lookup_ticket is great" }])).toEqual([]);
    expect(deferredClientTools([{ path: "messages.0", text: LIST.replace(/mcp__[^\n]*\n/g, "") }])).toEqual([]);
  });
});

describe("pruneDeferredList: the tool-search list without the built-ins the size leaves out", () => {
  const small = (name: string) => ["CronCreate", "WebFetch"].includes(name);

  it("drops those names and keeps the rest of the list and of the text", () => {
    expect(pruneDeferredList(LIST, small)).toBe(LIST.replace("CronCreate\nWebFetch\n", ""));
  });

  it("leaves a text without the list, or a list with none of them, as it is", () => {
    expect(pruneDeferredList("Available agent types:\nCronCreate", small)).toBe("Available agent types:\nCronCreate");
    expect(pruneDeferredList(LIST, () => false)).toBe(LIST);
  });
});
