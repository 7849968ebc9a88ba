import { createHash } from "node:crypto";

/**
 * A system-prompt line's print: the same for the same sentence on every machine and in every
 * session, so that Claude Code's own lines, learned from captures of its releases
 * (scripts/claude-code/learn-own-lines.js), are known wherever they appear. What varies between
 * sessions is blanked word by word: a word with a `/` (a path: the memory folder, the working
 * directory), a git hash, and every number. Spaces are collapsed. Word by word and without a regex
 * over the whole line, so a line of megabytes costs linear time. Undefined for a blank line.
 */
export function linePrint(line: string): string | undefined {
  const words = line.split(/\s+/).filter((word) => word !== "");
  if (words.length === 0) return undefined;
  const stable = words.map((word) => (word.includes("/") ? "<path>" : HEX.test(word) ? "<hex>" : word.replace(DIGITS, "0"))).join(" ");
  return createHash("sha256").update(stable).digest("base64url").slice(0, 12);
}

/** linePrint keeping each line's print: one system prompt is read line by line by more than one finder. */
export function rememberedLinePrint(): (line: string) => string | undefined {
  const prints = new Map<string, string | undefined>();
  return (line) => {
    if (prints.has(line)) return prints.get(line);
    const print = linePrint(line);
    prints.set(line, print);
    return print;
  };
}

const HEX = /^[0-9a-f]{7,40}$/;
const DIGITS = /\d+/g;
