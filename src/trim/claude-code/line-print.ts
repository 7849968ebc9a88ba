import { createHash } from "node:crypto";
import { createLruMap, type LruMap } from "../../shared/lru-map.js";
import { copyString } from "../../shared/retention-limits.js";

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

/**
 * Lines' prints, kept across requests (one per server: PrefixCache.linePrints). A new session's system
 * prompt is another project's, but nearly all of its lines are Claude Code's own, the same as the last
 * session's: their SHA-256 was ~0.35 ms of each new session's trim.
 */
export type LinePrintMemo = LruMap<string, string | undefined>;

/** Lines kept: a few sessions' system prompts (~300 lines each). */
const REMEMBERED_LINES = 2048;

export function createLinePrintMemo(): LinePrintMemo {
  return createLruMap(REMEMBERED_LINES);
}

/**
 * linePrint keeping each line's print: one system prompt is read line by line by more than one finder.
 * Given a memo, in it (each line copied: one sliced from a request keeps none of it alive), else for this call.
 */
export function rememberedLinePrint(memo?: LinePrintMemo): (line: string) => string | undefined {
  const prints = memo ?? new Map<string, string | undefined>();
  return (line) => {
    if (prints.has(line)) return prints.get(line);
    const print = linePrint(line);
    prints.set(memo === undefined ? line : copyString(line), print);
    return print;
  };
}

const HEX = /^[0-9a-f]{7,40}$/;
const DIGITS = /\d+/g;
