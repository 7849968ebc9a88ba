import { createHash } from "node:crypto";
import { CLAUDE_CODE_OWN_LINES, LEARNED_CLAUDE_CODE_RELEASES } from "./claude-code-own-lines.js";

/**
 * The prints (linePrint) of the lines Claude Code writes itself, which trimming tells the user's text
 * from (findUserSystemText, findUserListItems, findOutputStyle, replacedPromptStart), and a key naming
 * them: what is remembered of a prefix or a list depends on which lines are Claude Code's, so the
 * caches key on it. The built-in lines are those the project's scripts learned from the checked
 * releases; a release they never saw gets its own added (learned from its installed CLI by `mallex
 * run`), or its new sections would be taken for the user's.
 */
export interface OwnLines {
  readonly key: string;
  readonly prints: ReadonlySet<string>;
}

/** The lines learned from the checked releases (claude-code-own-lines.ts). */
export const BUILT_IN_OWN_LINES: OwnLines = Object.freeze({ key: "built-in", prints: CLAUDE_CODE_OWN_LINES });

/** Own lines learned from releases the built-in ones do not cover, by version; each holds the built-in lines too. */
export type LearnedOwnLines = ReadonlyMap<string, OwnLines>;

/**
 * A release's learned prints with the built-in ones: a line an earlier release wrote is Claude Code's
 * on this one too (an interactive session's lines, which `mallex run` does not capture). Keyed by the
 * learned prints themselves, so a release learned again with other lines is another key.
 */
export function withLearnedLines(learned: Iterable<string>): OwnLines {
  const own = [...new Set(learned)].sort();
  const key = `learned:${createHash("sha256").update(own.join(" ")).digest("base64url").slice(0, 12)}`;
  return Object.freeze({ key, prints: new Set([...CLAUDE_CODE_OWN_LINES, ...own]) });
}

/** The own lines for a request from `version` (recognizeClaudeCode's): that release's learned ones, else the built-in ones. */
export function ownLinesFor(version: string | undefined, learned: LearnedOwnLines | undefined): OwnLines {
  return (version === undefined ? undefined : learned?.get(version)) ?? BUILT_IN_OWN_LINES;
}

/** Whether the built-in lines were learned from this very release (the project's scripts ran it): nothing is left to learn. */
export function builtInCovers(version: string): boolean {
  return (LEARNED_CLAUDE_CODE_RELEASES as readonly string[]).includes(version);
}
