import type { MessagesRequest } from "../../translate/anthropic-types.js";
import { findOutputStyle } from "../claude-code/find-user-system-text.js";
import { BUILT_IN_OWN_LINES, type OwnLines } from "../claude-code/own-lines.js";
import { splitSystemReminders } from "../read-preamble.js";
import type { TrimRuleHit, UserPart, UserTextReport } from "../trim-types.js";

/** What each `user_text` filter keeps, in the words the log and `explain` use for it. */
const USER_TEXT_PARTS: Readonly<Record<string, string>> = {
  "hook-output": "the hooks' output",
  "claude-md": "CLAUDE.md",
};

/** Claude Code's heading over the MCP servers' instructions (2.1.100–2.1.332), each server under `## name`. */
const MCP_INSTRUCTIONS = "# MCP Server Instructions\n";

export interface UserPartsInput {
  /** The user's text the system prompt template placed (or could not), by part. */
  system?: UserTextReport;
  rules: readonly TrimRuleHit[];
  /** The client tools (MCP servers', an SDK app's) offered to the model. */
  client: readonly string[];
  /** The client tools Claude Code defers behind ToolSearch (deferredClientTools), and whether ToolSearch is offered. */
  deferred: readonly string[];
  toolSearch: boolean;
  /** The trimmed conversation: the MCP servers' instructions are found where they went on. */
  messages: MessagesRequest["messages"];
  /** The lines the request's release writes itself, where an output style ends (default: the built-in ones). */
  own?: OwnLines;
}

/**
 * Each part of the request the user wrote or configured, and what became of it: trimming removes
 * Claude Code's text and keeps the user's, and says so part by part (the request log, `explain`, the
 * dashboard). Found by structure: the template's placed passages (CLAUDE.md, appended prompts, output
 * styles), what `user_text` filters kept, the agents and skills named in one line, the client tools
 * offered or reachable through ToolSearch, the MCP servers' instructions and the output style left in
 * the conversation.
 */
export function describeUserParts(input: UserPartsInput): UserPart[] {
  const parts: UserPart[] = [];
  for (const part of input.system?.parts ?? [])
    parts.push({ part: part.part, chars: part.chars, fate: input.system?.placed === true ? "system prompt" : "not placed" });
  for (const hit of input.rules) {
    if (hit.userChars !== undefined) parts.push({ part: USER_TEXT_PARTS[hit.rule] ?? `what ${hit.rule} keeps`, chars: hit.userChars, fate: "conversation" });
    if (hit.rule === "user-agents-named") parts.push({ part: "their agents and skills", chars: -hit.charsRemoved, fate: "named in one line" });
  }
  const opening = openingTexts(input.messages);
  parts.push(...mcpInstructions(opening));
  // From 2.1.330 on the output style opens the conversation (a system message); before, the system prompt (input.system) held it.
  for (const text of opening) {
    const style = findOutputStyle(text, (input.own ?? BUILT_IN_OWN_LINES).prints);
    if (style !== undefined) parts.push({ part: `output style ${style.name}`, chars: style.text.length, fate: "conversation" });
  }
  for (const name of input.deferred) parts.push({ part: name, chars: name.length, fate: input.toolSearch ? "through ToolSearch" : "not offered" });
  for (const name of input.client) parts.push({ part: name, chars: 0, fate: "offered" });
  return parts;
}

/**
 * Characters of the user's text the model gets whole, the client tools' schemas aside (they are
 * measured as the upstream request carries them).
 */
export function userPartChars(parts: readonly UserPart[]): number {
  return parts.reduce((sum, part) => sum + (part.fate === "not placed" || part.fate === "not offered" ? 0 : part.chars), 0);
}

/**
 * The texts of the trimmed conversation's opening, before the first answer, as the model reads them
 * (reminders unwrapped): Claude Code puts the user's configured parts there (2.1.330 in a system
 * message, earlier releases in a user turn's reminder); the turns after the first answer are not read
 * on every request.
 */
function openingTexts(messages: MessagesRequest["messages"]): string[] {
  const texts: string[] = [];
  for (const message of messages) {
    if (message.role === "assistant") break;
    const blocks = typeof message.content === "string" ? [message.content] : message.content.flatMap((block) => (block.type === "text" ? [block.text] : []));
    for (const text of blocks) for (const segment of splitSystemReminders(text)) texts.push(segment.kind === "text" ? segment.text : segment.inner);
  }
  return texts;
}

/** Each MCP server's instructions in the conversation's opening, by server (Claude Code's text around them filtered away). */
function mcpInstructions(opening: readonly string[]): UserPart[] {
  const parts: UserPart[] = [];
  for (const said of opening) {
    const at = said.indexOf(MCP_INSTRUCTIONS);
    if (at < 0) continue;
    // The servers' sections run to Claude Code's next top-level heading or the reminder's end.
    const body = said.slice(at + MCP_INSTRUCTIONS.length).split(/\n# /)[0] ?? "";
    for (const section of body.split(/^## /m).slice(1)) {
      const newline = section.indexOf("\n");
      const server = (newline < 0 ? section : section.slice(0, newline)).trim();
      const instructions = newline < 0 ? "" : section.slice(newline + 1).trim();
      if (instructions !== "") parts.push({ part: `MCP server ${server}: instructions`, chars: instructions.length, fate: "conversation" });
    }
  }
  return parts;
}
