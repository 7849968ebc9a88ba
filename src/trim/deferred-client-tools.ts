import { isBuiltInTool } from "../shared/claude-code-tools.js";
import type { ContextUnit } from "./system-prompt/extract-kept-sections.js";

/** How Claude Code (2.1.2xx–2.1.332) opens its list of the tools it defers behind ToolSearch. */
const LIST_HEADER = "The following deferred tools are now available via ToolSearch";
/**
 * How Claude Code (2.1.197) opens its list of the MCP servers whose tools are not known yet when it
 * sends its first request (a stdio server still starting): ToolSearch waits for them.
 */
const CONNECTING_HEADER = "The following MCP servers are still connecting";

/**
 * The client's tools (MCP servers') that Claude Code defers behind its tool search, named only in the
 * list in its opening reminders: the names on the lines after the list's first line, up to a blank
 * line, that are not Claude Code's built-ins. Claude Code sends no schema for them until ToolSearch
 * has loaded them, so the model needs ToolSearch to use them at all.
 */
export function deferredClientTools(preamble: readonly ContextUnit[]): string[] {
  return listed(preamble, LIST_HEADER).filter((name) => !isBuiltInTool(name, true));
}

/**
 * The MCP servers Claude Code says are still connecting when it sends a request with its tool search
 * on (2.1.197 with a stdio server: its first request goes before the server has answered). Their tools
 * are named nowhere yet; ToolSearch, which waits for the servers, is the only way to them.
 */
export function connectingMcpServers(preamble: readonly ContextUnit[]): string[] {
  return listed(preamble, CONNECTING_HEADER);
}

/** The names on the lines after the line that starts with `header`, up to a blank line, in every unit. */
function listed(preamble: readonly ContextUnit[], header: string): string[] {
  const names: string[] = [];
  for (const unit of preamble) {
    const lines = unit.text.split("\n");
    const start = lines.findIndex((line) => line.startsWith(header));
    if (start < 0) continue;
    for (const line of lines.slice(start + 1)) {
      const name = line.trim();
      if (name === "") break;
      names.push(name);
    }
  }
  return names;
}

/**
 * Claude Code's tool-search list without the names `unlisted` says go (the built-ins the size's
 * allowlist removes even once ToolSearch has loaded them: CronCreate, WebFetch… on a small model);
 * a list left with no name goes with its heading (2.1.197 lists only built-ins while the MCP servers
 * connect, and names those servers in a paragraph of its own, which stays). The text as it is when it
 * holds no list or none of its names goes.
 */
export function pruneDeferredList(text: string, unlisted: (name: string) => boolean): string {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.startsWith(LIST_HEADER));
  if (start < 0) return text;
  let end = start + 1;
  while (end < lines.length && lines[end]!.trim() !== "") end += 1;
  const names = lines.slice(start + 1, end);
  const kept = names.filter((line) => !unlisted(line.trim()));
  if (kept.length === names.length) return text;
  if (kept.length > 0) return [...lines.slice(0, start + 1), ...kept, ...lines.slice(end)].join("\n");
  // No name left: the heading and the blank lines after the list go too.
  while (end < lines.length && lines[end]!.trim() === "") end += 1;
  return [...lines.slice(0, start), ...lines.slice(end)].join("\n");
}
