import { isBuiltInTool } from "../shared/claude-code-tools.js";
import type { ContextUnit } from "./extract-kept-sections.js";

/** How Claude Code (2.1.2xx–2.1.330) opens its list of the tools it defers behind ToolSearch. */
const LIST_HEADER = "The following deferred tools are now available via ToolSearch";

/**
 * The client's tools (MCP servers') that Claude Code defers behind its tool search, named only in the
 * list in its opening reminders: the names on the lines after the list's first line, up to a blank
 * line, that are not Claude Code's built-ins. Claude Code sends no schema for them until ToolSearch
 * has loaded them, so the model needs ToolSearch to use them at all.
 */
export function deferredClientTools(preamble: readonly ContextUnit[]): string[] {
  const names: string[] = [];
  for (const unit of preamble) {
    const lines = unit.text.split("\n");
    const start = lines.findIndex((line) => line.startsWith(LIST_HEADER));
    if (start < 0) continue;
    for (const line of lines.slice(start + 1)) {
      const name = line.trim();
      if (name === "") break;
      if (!isBuiltInTool(name, true)) names.push(name);
    }
  }
  return names;
}

/**
 * Claude Code's tool-search list without the names `unlisted` says go (the built-ins the size's
 * allowlist removes even once ToolSearch has loaded them: CronCreate, WebFetch… on a small model).
 * The text as it is when it holds no list or none of its names goes.
 */
export function pruneDeferredList(text: string, unlisted: (name: string) => boolean): string {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.startsWith(LIST_HEADER));
  if (start < 0) return text;
  let end = start + 1;
  while (end < lines.length && lines[end]!.trim() !== "") end += 1;
  const names = lines.slice(start + 1, end);
  const kept = names.filter((line) => !unlisted(line.trim()));
  return kept.length === names.length ? text : [...lines.slice(0, start + 1), ...kept, ...lines.slice(end)].join("\n");
}
