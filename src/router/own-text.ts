import type { AnthropicContentBlock } from "../translate/anthropic-types.js";

const REMINDER = /^\s*<system-reminder>[\s\S]*<\/system-reminder>\s*$/;

/**
 * The user's own words in a message's blocks: its text blocks without whole <system-reminder>
 * blocks (Claude Code's context, not something the user typed), joined and trimmed.
 */
export function ownText(blocks: readonly AnthropicContentBlock[]): string {
  return blocks
    .flatMap((b) => (b.type === "text" && !REMINDER.test(b.text) ? [b.text] : []))
    .join("\n")
    .trim();
}
