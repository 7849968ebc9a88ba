import { describe, expect, it } from "vitest";
import { connectingMcpServers, deferredClientTools, pruneDeferredList } from "../../src/trim/read-preamble.js";

const LIST =
  'The following deferred tools are now available via ToolSearch. Their schemas are NOT loaded — use ToolSearch with query "select:<name>" first:\nCronCreate\nWebFetch\nmcp__tickets__lookup_ticket\nmcp__github__search\n\nAvailable agent types for the Agent tool:\n- Explore: searches';

describe("deferredClientTools: the user's MCP tools Claude Code names only in its tool-search list", () => {
  it("takes the names after the list's first line up to a blank line, leaving out Claude Code's built-ins", () => {
    expect(deferredClientTools([{ path: "messages.0.content.0 (reminder 2)", text: LIST }])).toEqual(["mcp__tickets__lookup_ticket", "mcp__github__search"]);
  });

  it("finds none without the list, or in a list of built-ins only", () => {
    expect(deferredClientTools([{ path: "messages.0", text: "mcp__tickets__lookup_ticket is great" }])).toEqual([]);
    expect(deferredClientTools([{ path: "messages.0", text: LIST.replace(/mcp__[^\n]*\n/g, "") }])).toEqual([]);
  });
});

// 2.1.197 with ENABLE_TOOL_SEARCH=true and a stdio MCP server: its first request goes while the server
// is still connecting (as captured), so the list names only built-ins and the server has a paragraph.
const CONNECTING =
  "The following deferred tools are now available via ToolSearch. Their schemas are NOT loaded — calling them directly will fail with InputValidationError. Use ToolSearch with query \"select:<name>[,<name>...]\" to load tool schemas before calling them:\nCronCreate\nWebFetch\n\nThe following MCP servers are still connecting — their tools (typically named mcp__<server>__*) are not yet available but will appear shortly:\ntickets\ngithub\n\nIf the user's request might be served by one of these servers (even if they didn't name it explicitly), call ToolSearch with a relevant keyword — ToolSearch will wait for connecting servers and search their tools once available.";

describe("connectingMcpServers: the MCP servers whose tools Claude Code cannot name yet", () => {
  it("takes the servers after the paragraph's first line up to a blank line", () => {
    expect(connectingMcpServers([{ path: "messages.1", text: CONNECTING }])).toEqual(["tickets", "github"]);
    expect(deferredClientTools([{ path: "messages.1", text: CONNECTING }])).toEqual([]);
  });

  it("finds none when every server has connected", () => {
    expect(connectingMcpServers([{ path: "messages.1", text: LIST }])).toEqual([]);
  });
});

describe("pruneDeferredList: the tool-search list without the built-ins the size leaves out", () => {
  const small = (name: string) => ["CronCreate", "WebFetch"].includes(name);

  it("drops those names and keeps the rest of the list and of the text", () => {
    expect(pruneDeferredList(LIST, small)).toBe(LIST.replace("CronCreate\nWebFetch\n", ""));
  });

  it("drops the list's heading too when no name is left, and keeps the connecting servers' paragraph", () => {
    const pruned = pruneDeferredList(CONNECTING, small);
    expect(pruned).toBe(CONNECTING.slice(CONNECTING.indexOf("The following MCP servers")));
    expect(connectingMcpServers([{ path: "messages.1", text: pruned }])).toEqual(["tickets", "github"]);
  });

  it("leaves a text without the list, or a list with none of them, as it is", () => {
    expect(pruneDeferredList("Available agent types:\nCronCreate", small)).toBe("Available agent types:\nCronCreate");
    expect(pruneDeferredList(LIST, () => false)).toBe(LIST);
  });
});
