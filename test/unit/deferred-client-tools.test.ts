import { describe, expect, it } from "vitest";
import { deferredClientTools } from "../../src/trim/deferred-client-tools.js";

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
