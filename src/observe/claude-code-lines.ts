import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { makePrivateDir } from "../shared/files/private-files.js";
import { writeFileAtomic } from "../shared/files/write-file-atomic.js";
import { builtInCovers, withLearnedLines, type LearnedOwnLines, type OwnLines } from "../trim/claude-code/own-lines.js";

/**
 * The own lines `mallex run` learned from Claude Code releases the built-in lines do not cover, one
 * file per release in MALLEX_HOME/claude-code-lines/: prints only (linePrint's hashes, never a line
 * of text), learned once per release and read by every proxy that starts after.
 */
export interface LearnedRelease {
  version: string;
  /** The prints of the lines the release wrote itself in its captures (ownLinesOfRequest). */
  prints: string[];
  /** RFC 3339 time it was learned. */
  learnedAt: string;
}

/**
 * The learned releases a proxy trims by, read at its start; `mallex run` adds the one it learns
 * before it launches Claude Code. Created with the server context, never module-level.
 */
export interface ClaudeCodeLines {
  /** By version, each with the built-in lines (withLearnedLines): what TrimOptions.learned reads. */
  readonly learned: LearnedOwnLines;
  add(release: Pick<LearnedRelease, "version" | "prints">): void;
}

/**
 * Which learning wrote a file: a file from a mallex that printed lines otherwise, or captured fewer
 * settings, is not this one's and is learned again.
 */
const FORMAT = "mallex-claude-code-lines/1";
const VERSION = /^\d+\.\d+\.\d+$/;
const PRINT = /^[A-Za-z0-9_-]{12}$/;

export function claudeCodeLinesDir(mallexHome: string): string {
  return join(mallexHome, "claude-code-lines");
}

/** The file of one release; undefined for a version that is not a plain x.y.z (it names a file). */
export function claudeCodeLinesPath(mallexHome: string, version: string): string | undefined {
  return VERSION.test(version) ? join(claudeCodeLinesDir(mallexHome), `${version}.json`) : undefined;
}

/** Pure: the file's text. */
export function formatLearnedRelease(release: LearnedRelease): string {
  return `${JSON.stringify({ format: FORMAT, version: release.version, learnedAt: release.learnedAt, prints: [...release.prints].sort() })}\n`;
}

/** Pure: the learned release, or undefined when the text is not one this mallex wrote (another format, damaged). */
export function parseLearnedRelease(text: string): LearnedRelease | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const file = value as { format?: unknown; version?: unknown; learnedAt?: unknown; prints?: unknown };
  if (file.format !== FORMAT || typeof file.version !== "string" || !VERSION.test(file.version) || typeof file.learnedAt !== "string") return undefined;
  if (!Array.isArray(file.prints) || file.prints.length === 0 || !file.prints.every((print) => typeof print === "string" && PRINT.test(print)))
    return undefined;
  return { version: file.version, learnedAt: file.learnedAt, prints: file.prints as string[] };
}

/** One release's learned lines from MALLEX_HOME, or undefined when none were learned (or the file is not one). */
export function readLearnedRelease(mallexHome: string, version: string): LearnedRelease | undefined {
  const file = claudeCodeLinesPath(mallexHome, version);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const release = parseLearnedRelease(text);
  return release?.version === version ? release : undefined;
}

/** Keeps a release's learned lines in MALLEX_HOME: a private folder, written atomically (a proxy starting meanwhile reads all or nothing). */
export function saveLearnedRelease(mallexHome: string, release: LearnedRelease): void {
  const file = claudeCodeLinesPath(mallexHome, release.version);
  if (file === undefined) throw new Error(`not a Claude Code version: ${JSON.stringify(release.version)}`);
  makePrivateDir(claudeCodeLinesDir(mallexHome));
  writeFileAtomic(file, formatLearnedRelease(release));
}

/**
 * Every release learned in MALLEX_HOME that the built-in lines do not cover (a mallex updated since
 * may cover it), for a proxy's start. A folder that is missing holds none; a file that is not one is
 * left out.
 */
export function loadClaudeCodeLines(mallexHome: string): ClaudeCodeLines {
  const learned = new Map<string, OwnLines>();
  const add = (release: Pick<LearnedRelease, "version" | "prints">) => {
    if (!builtInCovers(release.version)) learned.set(release.version, withLearnedLines(release.prints));
  };
  let names: string[] = [];
  try {
    names = readdirSync(claudeCodeLinesDir(mallexHome));
  } catch {
    // nothing learned yet
  }
  for (const name of names) {
    const release = name.endsWith(".json") ? readLearnedRelease(mallexHome, name.slice(0, -".json".length)) : undefined;
    if (release !== undefined) add(release);
  }
  return { learned, add };
}
