import type { MessagesRequest } from "../../translate/anthropic-types.js";
import { BILLING_HEADER_PREFIX } from "../apply-block-filters.js";
import { linePrint } from "./line-print.js";
import { itemName } from "./own-list-items.js";

/** The lists of Claude Code's agents and skills that a captured request's messages carry. */
const LIST_HEADERS = ["Available agent types for the Agent tool:", "The following skills are available for use with the Skill tool:"];

/**
 * The prints of the lines Claude Code wrote itself in one captured request — run with a fresh HOME in
 * an empty project (a capture of the project's scripts, or of `mallex run` learning an unseen
 * release), so that everything in it but `skip` is Claude Code's: its system prompt up to the
 * repository's state ("gitStatus:", which follows), without the billing block, and the items of its
 * lists of agents and skills with each item's name alone (with a small context it lists names without
 * descriptions). A line holding `skip` (the marker a capture passes as the user's text, to learn how
 * Claude Code words what is around it) is left out. Hashes only: nothing of the text is kept.
 */
export function ownLinesOfRequest(request: Pick<MessagesRequest, "system" | "messages">, skip?: string): Set<string> {
  const prints = new Set<string>();
  for (const line of [...ownText(request.system).split("\n"), ...listedItems(request.messages)]) {
    if (skip !== undefined && line.includes(skip)) continue;
    const print = linePrint(line);
    if (print !== undefined) prints.add(print);
  }
  return prints;
}

/** The system prompt's text up to the repository's state, without the billing block. */
function ownText(system: MessagesRequest["system"]): string {
  const blocks = typeof system === "string" ? [system] : (system ?? []).map((block) => block.text);
  const text = blocks.filter((block) => !block.startsWith(BILLING_HEADER_PREFIX)).join("\n\n");
  const git = text.indexOf("\ngitStatus:");
  return git === -1 ? text : text.slice(0, git);
}

/** The items of Claude Code's lists of its agents and skills, wherever in the messages it puts them (a tool's description is not read). */
function listedItems(messages: MessagesRequest["messages"]): string[] {
  const texts = messages.flatMap((message) =>
    typeof message.content === "string" ? [message.content] : message.content.flatMap((block) => (block.type === "text" ? [block.text] : [])),
  );
  return texts.flatMap((text) => {
    const lines = text.split("\n");
    return LIST_HEADERS.flatMap((header) => {
      const start = lines.findIndex((line) => line.startsWith(header));
      if (start < 0) return [];
      const items: string[] = [];
      for (const line of lines.slice(start + 1)) {
        if (line.startsWith("- ")) items.push(line, `- ${itemName(line)}`);
        else if (line.trim() === "" && items.length > 0) break;
      }
      return items;
    });
  });
}
