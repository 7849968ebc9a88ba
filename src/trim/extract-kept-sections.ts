import type { CompiledKeepRule } from "../compile/routing-table.js";

export interface KeptSection {
  id: string;
  text: string;
  /** Characters max_chars cut off the end (0 when it fit). */
  charsCut: number;
}

const HEADING = /^(#{1,6})[ \t]+(.*?)[ \t#]*$/;
const FENCE = /^[ \t]{0,3}(```|~~~)/;

/**
 * The parts of a system prompt that keep rules find, in rule order; a rule that finds nothing (or
 * only blank text) is left out, so a template's `{{#if sections.x}}` hides it.
 * - `heading`: the markdown section under the first heading with that text (case-insensitive), up
 *   to the next heading of the same or a higher level; headings inside code fences do not count.
 * - `pattern`: the first match; when the regex has a named group, the first named group instead
 *   (plain groups only group: `( - (Platform|Shell):[^\n]*)*` keeps the whole match).
 * - `max_chars`: cut to that length, at the last line break when one is in the second half.
 * Blank lines around the text are trimmed; leading spaces are kept (" - " list items).
 */
export function extractKeptSections(text: string, rules: readonly CompiledKeepRule[]): KeptSection[] {
  const sections: KeptSection[] = [];
  for (const rule of rules) {
    const found = rule.heading !== undefined ? findHeadingSection(text, rule.heading) : rule.pattern !== undefined ? findPattern(text, rule.pattern.source, rule.pattern.flags) : undefined;
    const clean = trimBlankLines(found ?? "");
    if (clean === "") continue;
    const kept = rule.maxChars === undefined ? clean : cutAtLine(clean, rule.maxChars);
    sections.push({ id: rule.id, text: kept, charsCut: clean.length - kept.length });
  }
  return sections;
}

function findHeadingSection(text: string, heading: string): string | undefined {
  const lines = text.split("\n");
  const wanted = heading.trim().toLowerCase();
  let inFence = false;
  let level = 0;
  let start = -1;
  for (const [index, line] of lines.entries()) {
    if (FENCE.test(line)) inFence = !inFence;
    if (inFence) continue;
    const match = HEADING.exec(line);
    if (match === null) continue;
    const lineLevel = match[1]?.length ?? 0;
    if (start >= 0 && lineLevel <= level) return lines.slice(start, index).join("\n");
    if (start < 0 && (match[2] ?? "").trim().toLowerCase() === wanted) {
      level = lineLevel;
      start = index + 1;
    }
  }
  return start >= 0 ? lines.slice(start).join("\n") : undefined;
}

function findPattern(text: string, source: string, flags: string): string | undefined {
  const match = new RegExp(source, flags.replace(/[gy]/g, "")).exec(text);
  if (match === null) return undefined;
  const named = match.groups === undefined ? [] : Object.keys(match.groups);
  const first = named[0];
  return first === undefined ? match[0] : match.groups?.[first];
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
