// The user's own text in Claude Code's system prompt, told from Claude Code's: an output style, and
// what the user appended or put in place of the prompt's start.
import { CLAUDE_CODE_OWN_LINES } from "./claude-code-own-lines.js";
import { linePrint } from "./line-print.js";
import { AGENT_SKILL_LISTS, UNREACHABLE_ITEMS_OPENS } from "./own-list-items.js";
import type { MessagesRequest } from "../../translate/anthropic-types.js";
import { BILLING_HEADER_PREFIX } from "../apply-block-filters.js";

/**
 * Claude Code's heading over the user's output style (`.claude/output-styles/*.md`, the
 * `outputStyle` setting): `# Output Style: <name>` and the style's own text on the lines after it
 * (2.1.100–2.1.332), in the system prompt or, from 2.1.330 on, in the system message that opens the
 * conversation.
 */
export const OUTPUT_STYLE_HEADING = "# Output Style: ";

export interface OutputStyle {
  name: string;
  /** The heading line and the style's text, as the text carries them. */
  text: string;
}

/** Lines where Claude Code's own text resumes after a style: its lists (kept, or shortened by a filter). */
const RESUMES = [
  ...AGENT_SKILL_LISTS.map((list) => list.header),
  "New agent types are now available for the Agent tool:",
  "The following deferred tools are now available via ToolSearch",
  "# MCP Server Instructions",
];

/**
 * The output style in `text`: its heading line and the lines after it up to where Claude Code's text
 * resumes — a line some checked release writes (CLAUDE_CODE_OWN_LINES), one of its lists, or its
 * reminder that the style is active ("<name> output style is active. …") — without the blank lines
 * around it. The style may hold blank lines and headings of its own: only Claude Code's text ends it.
 */
export function findOutputStyle(text: string, own: ReadonlySet<string> = CLAUDE_CODE_OWN_LINES): OutputStyle | undefined {
  // Found without splitting the text: the conversation's opening may be a paste of megabytes, read on every request.
  const start = text.startsWith(OUTPUT_STYLE_HEADING) ? 0 : text.indexOf(`\n${OUTPUT_STYLE_HEADING}`) + 1;
  if (start === 0 && !text.startsWith(OUTPUT_STYLE_HEADING)) return undefined;
  const headingEnd = lineEnd(text, start);
  const name = text.slice(start + OUTPUT_STYLE_HEADING.length, headingEnd).trim();
  const active = `${name} output style is active.`;
  let end = headingEnd;
  while (end < text.length) {
    const next = lineEnd(text, end + 1);
    if (resumes(text.slice(end + 1, next), active, own)) break;
    end = next;
  }
  return { name, text: text.slice(start, end).trimEnd() };
}

/** Where the line that starts at `from` ends (its newline, or the text's end). */
function lineEnd(text: string, from: number): number {
  const newline = text.indexOf("\n", from);
  return newline < 0 ? text.length : newline;
}

function resumes(line: string, active: string, own: ReadonlySet<string>): boolean {
  if (line.startsWith(active) || RESUMES.some((start) => line.startsWith(start))) return true;
  // mallex's paragraph naming the user's agents and skills (describeUnreachableItems), where a filter removed their list.
  if (line.startsWith("The user's own ") && line.endsWith(UNREACHABLE_ITEMS_OPENS)) return true;
  const print = linePrint(line);
  return print !== undefined && own.has(print);
}

/**
 * What a user wrote into a Claude Code system prompt: every line that is not Claude Code's own (a
 * line some checked release writes, CLAUDE_CODE_OWN_LINES) and not inside a part a keep rule placed
 * (`placed`: the environment, the git status). That is `--append-system-prompt` and
 * `--system-prompt`, an output style, the `language` setting, an MCP server's instructions — and,
 * from a release newer than the checked ones, its new sentences, which are kept rather than lost
 * (the drift line names them). Passages in prompt order: runs of such lines with the blank lines
 * between them, without blank lines around them (indentation kept).
 */
export function findUserSystemText(
  text: string,
  placed: readonly string[],
  own: ReadonlySet<string> = CLAUDE_CODE_OWN_LINES,
  print: (line: string) => string | undefined = linePrint,
): string[] {
  let rest = text;
  for (const part of placed) {
    const at = part === "" ? -1 : rest.indexOf(part);
    if (at >= 0) rest = `${rest.slice(0, at)}\n${rest.slice(at + part.length)}`;
  }
  const passages: string[] = [];
  let current: string[] = [];
  let blanks: string[] = [];
  const close = () => {
    if (current.length > 0) passages.push(current.join("\n").trimEnd());
    current = [];
    blanks = [];
  };
  for (const line of rest.split("\n")) {
    const printed = print(line);
    if (printed === undefined) {
      if (current.length > 0) blanks.push(line);
    } else if (own.has(printed)) close();
    else {
      current.push(...blanks, line);
      blanks = [];
    }
  }
  close();
  return passages;
}

/**
 * The line a user's own system prompt opens with, where it takes the place of Claude Code's: `claude
 * --system-prompt`, or a custom subagent's prompt (the body of its `.claude/agents/*.md`, which
 * Claude Code sends as that subagent's system prompt, its own notes and environment after it). Known
 * by structure: Claude Code (2.1.100–2.1.332) sends its identity line as a block of its own after the
 * billing block, and the block after that opens with its own prompt's first line ("You are an
 * interactive agent…", a built-in subagent's "You are a file search specialist…") unless the user
 * replaced it. Undefined when the prompt opens with Claude Code's own line, or is not in blocks.
 */
export function replacedPromptStart(
  system: MessagesRequest["system"],
  own: ReadonlySet<string> = CLAUDE_CODE_OWN_LINES,
  print: (line: string) => string | undefined = linePrint,
): string | undefined {
  if (system === undefined || typeof system === "string") return undefined;
  const blocks = system.map((block) => block.text).filter((text) => !text.startsWith(BILLING_HEADER_PREFIX) && text.trim() !== "");
  // Claude Code's identity: a block of its own lines only, before the prompt.
  const isOwn = (line: string) => {
    const printed = print(line);
    return printed === undefined || own.has(printed);
  };
  const identity = blocks.findIndex((text) => !text.split("\n").every(isOwn));
  if (identity <= 0) return undefined;
  const first = blocks[identity]!.split("\n").find((line) => line.trim() !== "");
  return first === undefined || isOwn(first) ? undefined : first;
}
