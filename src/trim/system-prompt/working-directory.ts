// The folder a Claude Code session works in, read from its context: its CLAUDE.md found, and the
// context's paths under it written relative to it.
import type { AnthropicMessageParam, MessagesRequest } from "../../translate/anthropic-types.js";
import { KEEP_MAX_SOURCE_CHARS, type ContextUnit, type KeptSection } from "./extract-kept-sections.js";
import type { TrimRuleHit } from "../trim-types.js";

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

/** The id of the section CLAUDE.md moves in as, and of the hit that says so. */
export const CLAUDE_MD_SECTION = "claude-md-to-system";

/** The sentence Claude Code puts over the CLAUDE.md and memory files it shows (2.1.100–2.1.332). */
const INTRO = "Codebase and user instructions are shown below.";
/** The heading of that part of a context reminder (2.1.100–2.1.197; 2.1.330 gives it a reminder of its own). */
const SECTION_HEADING = "# claudeMd";
/** The next part of a context reminder: Claude Code's keys are one camel-case word (`# currentDate`); a user's heading is not that. */
const NEXT_SECTION = /^# [a-z][A-Za-z]*$/;
/** The aside Claude Code ends a context reminder with. */
const DISCLAIMER = /^\s*IMPORTANT: this context may or may not be relevant/;
/** A file's label: "Contents of /home/ada/app/CLAUDE.md (project instructions, checked into the codebase):". */
const LABEL = /^Contents of ([/~].*?)(?: \([^()\n]*\))?:$/;

/**
 * The CLAUDE.md and memory files Claude Code shows in a conversation's opening reminders, found by
 * their structure (the sentence over them, up to the reminder's next part or its end), for the
 * system prompt: a small model reads them there as instructions, where in the user's turn it took
 * them for text to go on with (SmolLM2-135M echoed "# Project notes" to its token cap in 15 of 30
 * prompts). Each label keeps its path, relative to `workingDirectory` when under it, and loses the
 * kind of file (the path says it); the files' text is the user's and goes whole. `matched` is all that
 * moves out of the reminder, Claude Code's sentence and heading with it.
 */
export function findClaudeMd(units: readonly ContextUnit[], workingDirectory: string | undefined): KeptSection[] {
  const sections: KeptSection[] = [];
  for (const unit of units) {
    if (unit.text.length > KEEP_MAX_SOURCE_CHARS) continue;
    const lines = unit.text.split("\n");
    const intro = lines.findIndex((line) => line.startsWith(INTRO));
    if (intro < 0) continue;
    const first = lines.findIndex((line, index) => index > intro && LABEL.test(line));
    if (first < 0) continue;
    let end = first + 1;
    while (end < lines.length && !NEXT_SECTION.test(lines[end]!) && !DISCLAIMER.test(lines[end]!)) end += 1;
    const start = intro > 0 && lines[intro - 1] === SECTION_HEADING ? intro - 1 : intro;
    const files = lines.slice(first, end).map((line) => relabel(line, workingDirectory));
    const text = files.join("\n").trim();
    if (text === "") continue;
    sections.push({ id: CLAUDE_MD_SECTION, text, charsCut: 0, from: unit.path, matched: lines.slice(start, end).join("\n") });
  }
  return sections;
}

function relabel(line: string, workingDirectory: string | undefined): string {
  const path = LABEL.exec(line)?.[1];
  if (path === undefined) return line;
  const under = workingDirectory !== undefined && path.startsWith(`${workingDirectory}/`);
  return `Contents of ${under ? path.slice(workingDirectory.length + 1) : path}:`;
}
