// What Claude Code says in a conversation beside the user's words, read as the trimming needs it: its
// <system-reminder>s, the preamble of reminders and system messages, the tools it defers and those
// the conversation loaded, and whether plan mode is on.
import type { AnthropicMessageParam } from "../translate/anthropic-types.js";
import { messageText } from "../translate/join-text-blocks.js";
import type { ContextUnit } from "./system-prompt/extract-kept-sections.js";
import { isBuiltInTool } from "../shared/claude-code-tools.js";

/** A piece of a user text block: plain text, or one `<system-reminder>` with its exact wrapper bytes. */
export type TextSegment =
  | { kind: "text"; text: string }
  | {
      kind: "reminder";
      /** `<system-reminder>` and the line break after it, as written. */
      open: string;
      /** What the reminder says, without the line breaks next to its tags. */
      inner: string;
      /** The line break before `</system-reminder>` and the tag, as written. */
      close: string;
      /** Line breaks right after the closing tag (Claude Code ends a reminder block with "\n\n"). */
      after: string;
    };

const OPEN = "<system-reminder>";
const CLOSE = "</system-reminder>";

/**
 * Splits text into plain text and `<system-reminder>` segments (a text block may hold several
 * reminders and other text). An opening tag without a closing one stays plain text.
 * `joinSegments(splitSystemReminders(text)) === text` always holds.
 *
 * What `/<system-reminder>(\n?)([\s\S]*?)(\n?)<\/system-reminder>(\n*)/g` finds, found with indexOf:
 * that regex scans to the end of the text from every opening tag that has no closing one, so a
 * client's 1 MB of opening tags held the event loop for minutes; this reads each character once.
 */
export function splitSystemReminders(text: string): TextSegment[] {
  const segments: TextSegment[] = [];
  let at = 0;
  for (;;) {
    const start = text.indexOf(OPEN, at);
    if (start < 0) break;
    const lead = text[start + OPEN.length] === "\n" ? "\n" : "";
    const innerStart = start + OPEN.length + lead.length;
    const close = text.indexOf(CLOSE, innerStart);
    // No closing tag after the first opening one: none after any later one either.
    if (close < 0) break;
    const trail = close > innerStart && text[close - 1] === "\n" ? "\n" : "";
    let end = close + CLOSE.length;
    while (text[end] === "\n") end += 1;
    if (start > at) segments.push({ kind: "text", text: text.slice(at, start) });
    segments.push({
      kind: "reminder",
      open: `${OPEN}${lead}`,
      inner: text.slice(innerStart, close - trail.length),
      close: `${trail}${CLOSE}`,
      after: text.slice(close + CLOSE.length, end),
    });
    at = end;
  }
  if (at < text.length) segments.push({ kind: "text", text: text.slice(at) });
  return segments;
}

export function joinSegments(segments: readonly TextSegment[]): string {
  return segments.map((s) => (s.kind === "text" ? s.text : `${s.open}${s.inner}${s.close}${s.after}`)).join("");
}

/**
 * How a reminder is named in the report and in keep rules' finds: the `count`-th reminder (from 1) of
 * the text at `path`, e.g. `messages.0.content.1 (reminder 1)`. The block filters and the preamble
 * (collectPreamble) name it alike, so a fact found in a reminder moves out of that one.
 */
export function reminderPath(path: string, count: number): string {
  return `${path} (reminder ${count})`;
}

/**
 * The opening of a conversation that Claude Code fills with context rather than the user's words:
 * the `<system-reminder>`s of the user messages and the role:"system" messages before the first
 * assistant message. Newer releases moved the environment, git status, CLAUDE.md, the date and
 * their lists there from the system prompt. It stays the same on every turn of a conversation
 * (later reminders come after the first answer), so what is drawn from it is as stable as the
 * system prompt. Paths are the ones the block filters report (see applyBlockFilters).
 */
export function collectPreamble(messages: readonly AnthropicMessageParam[]): ContextUnit[] {
  const units: ContextUnit[] = [];
  for (const [index, message] of messages.entries()) {
    const path = `messages.${index}`;
    if (message.role === "assistant") break;
    if (message.role === "system") {
      units.push({ path, text: messageText(message.content) });
    } else if (typeof message.content === "string") {
      units.push(...reminders(message.content, path));
    } else {
      message.content.forEach((block, at) => {
        if (block.type === "text") units.push(...reminders(block.text, `${path}.content.${at}`));
      });
    }
  }
  return units;
}

function reminders(text: string, path: string): ContextUnit[] {
  if (!text.includes("<system-reminder>")) return [];
  let count = 0;
  return splitSystemReminders(text).flatMap((segment) => (segment.kind === "reminder" ? [{ path: reminderPath(path, ++count), text: segment.inner }] : []));
}

/** One string for a preamble's content: the prefix cache's key for what trimming drew from it. */
export function preambleKey(units: readonly ContextUnit[]): string {
  return units.map((unit) => `${unit.path}\u0001${unit.text}`).join("\u0000");
}

/** The tool that ends Claude Code's plan mode: the model calls it to ask the user to approve its plan. */
export const EXIT_PLAN_MODE = "ExitPlanMode";

/**
 * How Claude Code (2.1.100–2.1.332) says plan mode is on — the full instructions, their short
 * repeat on later turns, a re-entry — and that it is off again. They arrive as reminders (2.1.100)
 * or inside its role:"system" message (2.1.197 and later); the last one said is the mode now.
 */
const ON = ["Plan mode is active.", "Plan mode still active", "## Re-entering Plan Mode"];
const OFF = ["You have exited plan mode", "## Exited Plan Mode"];

/**
 * Whether Claude Code's plan mode is on in this request: the last of its plan-mode notes, in the
 * reminders of user messages and in role:"system" messages (never the user's own words: a question
 * about plan mode does not turn it on), turns it on rather than off.
 */
export function planModeOn(messages: readonly AnthropicMessageParam[]): boolean {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index]!;
    if (message.role === "assistant") continue;
    const texts = message.role === "system" ? [messageText(message.content)] : userReminders(message.content);
    for (let at = texts.length - 1; at >= 0; at -= 1) {
      const said = lastSaid(texts[at]!);
      if (said !== undefined) return said;
    }
  }
  return false;
}

function userReminders(content: AnthropicMessageParam["content"]): string[] {
  const texts = typeof content === "string" ? [content] : content.flatMap((block) => (block.type === "text" ? [block.text] : []));
  return texts.flatMap((text) =>
    text.includes("<system-reminder>") ? splitSystemReminders(text).flatMap((segment) => (segment.kind === "reminder" ? [segment.inner] : [])) : [],
  );
}

/** true when the text's last plan-mode note turns it on, false when off, undefined when it has none. */
function lastSaid(text: string): boolean | undefined {
  const on = Math.max(...ON.map((marker) => text.lastIndexOf(marker)));
  const off = Math.max(...OFF.map((marker) => text.lastIndexOf(marker)));
  return on < 0 && off < 0 ? undefined : on > off;
}

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

const NONE: ReadonlySet<string> = new Set();

/**
 * The deferred tools the conversation has loaded: the names its tool results reference
 * (`{type: "tool_reference", tool_name}`, what Claude Code's ToolSearch returns). The Anthropic API
 * expands such a reference into the tool's definition; mallex offers that tool from then on (see
 * shapeTools). Only grows along a conversation, so the tools it adds change the prefix once.
 */
export function loadedTools(messages: readonly AnthropicMessageParam[]): ReadonlySet<string> {
  let names: Set<string> | undefined;
  for (const message of messages) {
    if (message.role !== "user" || typeof message.content === "string") continue;
    for (const block of message.content) {
      if (block.type !== "tool_result" || typeof block.content !== "object" || block.content === null) continue;
      for (const part of block.content) {
        if (part.type === "tool_reference") (names ??= new Set()).add(part.tool_name);
      }
    }
  }
  return names ?? NONE;
}
