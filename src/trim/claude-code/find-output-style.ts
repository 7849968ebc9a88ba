import { CLAUDE_CODE_OWN_LINES } from "./claude-code-own-lines.js";
import { linePrint } from "./line-print.js";
import { AGENT_SKILL_LISTS, UNREACHABLE_ITEMS_OPENS } from "./own-list-items.js";

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
