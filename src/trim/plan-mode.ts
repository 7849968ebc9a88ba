import type { AnthropicMessageParam } from "../translate/anthropic-types.js";
import { messageText } from "../translate/join-text-blocks.js";
import { splitSystemReminders } from "./split-system-reminders.js";

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
