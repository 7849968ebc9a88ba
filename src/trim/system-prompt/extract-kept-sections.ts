import type { CompiledKeepRule, CompiledRegex } from "../../compile/routing-table.js";
import { linearRegexOf } from "../../compile/linear-regex-of.js";
import { FILTER_BUDGET_CHARS, FILTER_MAX_UNIT_CHARS } from "../run-filters.js";
import { runSteps, type Steps } from "../run-steps.js";

/** A reminder or role:"system" message that opens a conversation (see collectPreamble). */
export interface ContextUnit {
  /** Its path in the request, as the block filters name it: `messages.0.content.1 (reminder 1)`, `messages.1`. */
  path: string;
  text: string;
}

export interface KeptSection {
  id: string;
  text: string;
  /** Characters max_chars cut off the end (0 when it fit). */
  charsCut: number;
  /** Where it was found: `system`, or the path of a preamble unit. */
  from: string;
  /**
   * All the rule matched there: the heading line with its section, or the whole regex match. Found in
   * a preamble unit, it moves out of that unit into the template.
   */
  matched: string;
}

// The heading's text is what follows the hashes and a space, less its closing `#`s (headingText).
// As one regex, `[ \t]+(.*?)[ \t#]*$` tried every split of a line of spaces: quadratic in its length.
const HEADING = /^(#{1,6})[ \t](.*)$/;
const FENCE = /^[ \t]{0,3}(```|~~~)/;

/**
 * The longest text (the system prompt, or one preamble unit) keep rules look in, as filters look at a
 * unit: Claude Code's system prompt is 6–27 KB, its opening reminders shorter. A longer one is not
 * searched (its facts are reported missing); and what one request's keep rules search together is
 * bounded like its filters' scan (KEEP_BUDGET_CHARS), so a conversation opening with thousands of
 * reminders costs no more than one with a few.
 */
export const KEEP_MAX_SOURCE_CHARS = FILTER_MAX_UNIT_CHARS;
export const KEEP_BUDGET_CHARS = FILTER_BUDGET_CHARS;

/**
 * The facts keep rules find, in rule order; a rule that finds nothing (or only blank text) is left
 * out, so a template's `{{#if sections.x}}` hides it. Each rule looks in the system prompt first,
 * then in each of `units` (a Claude Code request's opening reminders and system messages, where
 * newer releases put the environment, git status and date), and takes the first find.
 * - `heading`: the markdown section under the first heading with that text (case-insensitive), up
 *   to the next heading of the same or a higher level; headings inside code fences do not count.
 * - `pattern`: the first match; when the regex has a named group, the first named group instead
 *   (plain groups only group: `( - (Platform|Shell):[^\n]*)*` keeps the whole match).
 * - `max_chars`: cut to that length, at the last line break when one is in the second half.
 * Blank lines around the text are trimmed; leading spaces are kept (" - " list items).
 * A text over KEEP_MAX_SOURCE_CHARS is not searched; once KEEP_BUDGET_CHARS are searched, no more.
 */
export function extractKeptSections(text: string, rules: readonly CompiledKeepRule[], units: readonly ContextUnit[] = []): KeptSection[] {
  return runSteps(extractKeptSectionsSteps(text, rules, units));
}

/** extractKeptSections as Steps: it pauses before each search of one rule in one text (see run-steps.ts). */
export function* extractKeptSectionsSteps(text: string, rules: readonly CompiledKeepRule[], units: readonly ContextUnit[] = []): Steps<KeptSection[]> {
  const sources: ContextUnit[] = [{ path: "system", text }, ...units].filter((source) => source.text.length <= KEEP_MAX_SOURCE_CHARS);
  const sections: KeptSection[] = [];
  let budget = KEEP_BUDGET_CHARS;
  for (const rule of rules) {
    for (const source of sources) {
      if (source.text.length > budget) break;
      budget -= source.text.length;
      yield;
      const found = find(source.text, rule);
      const clean = trimBlankLines(found?.kept ?? "");
      if (found === undefined || clean === "") continue;
      const kept = rule.maxChars === undefined ? clean : cutAtLine(clean, rule.maxChars);
      sections.push({ id: rule.id, text: kept, charsCut: clean.length - kept.length, from: source.path, matched: found.whole });
      break;
    }
  }
  return sections;
}

interface Found {
  kept: string;
  /** All the rule matched: the heading line with its section, or the whole regex match. */
  whole: string;
}

function find(text: string, rule: CompiledKeepRule): Found | undefined {
  if (rule.heading !== undefined) return findHeadingSection(text, rule.heading);
  if (rule.pattern !== undefined) return findPattern(text, rule.pattern);
  return undefined;
}

function findHeadingSection(text: string, heading: string): Found | undefined {
  const lines = text.split("\n");
  const wanted = heading.trim().toLowerCase();
  let inFence = false;
  let level = 0;
  let start = -1;
  const found = (end: number): Found => ({ kept: lines.slice(start, end).join("\n"), whole: lines.slice(start - 1, end).join("\n") });
  for (const [index, line] of lines.entries()) {
    if (FENCE.test(line)) inFence = !inFence;
    if (inFence) continue;
    const match = HEADING.exec(line);
    if (match === null) continue;
    const lineLevel = match[1]?.length ?? 0;
    if (start >= 0 && lineLevel <= level) return found(index);
    if (
      start < 0 &&
      headingText(match[2] ?? "")
        .trim()
        .toLowerCase() === wanted
    ) {
      level = lineLevel;
      start = index + 1;
    }
  }
  return start >= 0 ? found(lines.length) : undefined;
}

/** A heading's text: without the spaces and tabs before it and the ones and `#`s that close it (` Harness ##` → `Harness`). */
function headingText(rest: string): string {
  const isClosing = (char: string | undefined) => char === " " || char === "\t" || char === "#";
  let start = 0;
  while (rest[start] === " " || rest[start] === "\t") start += 1;
  let end = rest.length;
  while (end > start && isClosing(rest[end - 1])) end -= 1;
  return rest.slice(start, end);
}

function findPattern(text: string, pattern: CompiledRegex): Found | undefined {
  const match = linearRegexOf(pattern).exec(text);
  if (match === null) return undefined;
  const first = Object.keys(match.groups)[0];
  return { kept: first === undefined ? match.text : (match.groups[first] ?? ""), whole: match.text };
}

function trimBlankLines(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, "").trimEnd();
}

function cutAtLine(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  const lineEnd = head.lastIndexOf("\n");
  return (lineEnd >= max / 2 ? head.slice(0, lineEnd) : head).trimEnd();
}
