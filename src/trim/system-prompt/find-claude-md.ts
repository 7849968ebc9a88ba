import type { ContextUnit, KeptSection } from "./extract-kept-sections.js";
import { KEEP_MAX_SOURCE_CHARS } from "./extract-kept-sections.js";

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
