import type { AnthropicMessageParam, MessagesRequest } from "../translate/anthropic-types.js";
import { KEEP_MAX_SOURCE_CHARS, type ContextUnit } from "./system-prompt/extract-kept-sections.js";
import type { TrimRuleHit } from "./trim-types.js";

/** Claude Code's environment line naming the folder it works in (system prompt or opening reminders). */
const WORKING_DIRECTORY = /^ *- Primary working directory: *(\/[^\n]*?) *$/m;

/** Longer is no folder name (Linux's PATH_MAX is 4096). */
const MAX_PATH_CHARS = 4096;

/** A request's system prompt as one text, its blocks joined: what workingDirectoryOf searches. */
export function systemPromptText(system: MessagesRequest["system"]): string {
  return typeof system === "string" ? system : (system ?? []).map((block) => block.text).join("\n");
}

/** The folder Claude Code works in, as its environment section names it; undefined when none does. */
export function workingDirectoryOf(system: string, units: readonly ContextUnit[]): string | undefined {
  for (const text of [system, ...units.map((unit) => unit.text)]) {
    // Searched as keep rules search: a text longer than Claude Code ever sends is no environment.
    if (text.length > KEEP_MAX_SOURCE_CHARS) continue;
    const found = WORKING_DIRECTORY.exec(text)?.[1]?.replace(/\/+$/, "");
    if (found && found.length <= MAX_PATH_CHARS) return found;
  }
  return undefined;
}

/**
 * Claude Code labels each CLAUDE.md it shows with its absolute path ("Contents of
 * /home/ada/app/CLAUDE.md:"), right above the user's words. A small model asked to "read hello.txt"
 * copied that path and read CLAUDE.md (Qwen2.5-Coder-1.5B, greedy: in 6 of 20 copies of one request
 * with other folder names; in none of 20 with the path relative). A path under the working directory, which the
 * environment section names, is written relative to it in those labels; others (~/.claude/CLAUDE.md)
 * stay as they are. Text blocks of user messages only (where Claude Code puts its context); each
 * block alone, so a conversation's prefix keeps its bytes.
 */
export function relativeContextPaths(
  messages: readonly AnthropicMessageParam[],
  workingDirectory: string,
): { messages: AnthropicMessageParam[]; hits: TrimRuleHit[] } {
  const label = new RegExp(`^Contents of ${escapeRegExp(workingDirectory)}/(?=[^\\n]*:$)`, "gm");
  const hits: TrimRuleHit[] = [];
  const relative = (text: string, target: string) => {
    const out = text.replace(label, "Contents of ");
    if (out !== text) hits.push({ rule: "relative-paths", target, charsRemoved: text.length - out.length });
    return out;
  };
  const out = messages.map((message, index) => {
    if (message.role !== "user") return message;
    if (typeof message.content === "string") {
      const content = relative(message.content, `messages.${index}`);
      return content === message.content ? message : { ...message, content };
    }
    let changed = false;
    const content = message.content.map((block, at) => {
      if (block.type !== "text") return block;
      const text = relative(block.text, `messages.${index}.content.${at}`);
      if (text === block.text) return block;
      changed = true;
      return { ...block, text };
    });
    return changed ? { ...message, content } : message;
  });
  return { messages: out, hits };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
