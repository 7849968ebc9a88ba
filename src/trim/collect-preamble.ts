import type { AnthropicMessageParam } from "../translate/anthropic-types.js";
import { messageText } from "../translate/join-text-blocks.js";
import type { ContextUnit } from "./system-prompt/extract-kept-sections.js";
import { reminderPath, splitSystemReminders } from "./split-system-reminders.js";

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
