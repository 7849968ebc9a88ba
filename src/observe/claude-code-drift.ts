import { CHECKED_CLAUDE_CODE } from "../trim/claude-code/claude-code-versions.js";
import { compareVersions } from "../shared/compare-versions.js";
import type { TrimReport } from "../trim/trim-types.js";
import { escapeLogText } from "./escape-log-text.js";

/**
 * A Claude Code release whose request trimmed worse than expected: for the log line, the dashboard,
 * `mallex status` and (persisted to MALLEX_HOME/claude-code-drift.json) `mallex doctor`.
 */
export interface ClaudeCodeDrift {
  version: string;
  /** Where the release stands against the checked ones (absent in a file written before: newer). */
  where?: ReleasePlace;
  /** What no rule placed, one sentence each (the first MAX_KEPT of them). */
  unplaced: string[];
  /** How many there were in all (more than `unplaced` holds when it was cut). */
  count: number;
  /** The releases checked, as this mallex knows them. */
  checked: { oldest: string; newest: string };
  /** RFC 3339 time it was first seen. */
  at: string;
}

export type CheckedReleases = { readonly oldest: string; readonly newest: string };

export type ReleasePlace = "newer" | "older" | "within";

/** Where `version` stands against the checked releases. */
export function releasePlace(version: string, checked: CheckedReleases): ReleasePlace {
  if (compareVersions(version, checked.newest) > 0) return "newer";
  return compareVersions(version, checked.oldest) < 0 ? "older" : "within";
}

/** Unplaced items a drift keeps (the dashboard and the file show them; the log line the first 3). */
const MAX_KEPT = 20;
/** Items the log line names before "and N more". */
const MAX_IN_LINE = 3;
/**
 * Distinct versions one process warns about. The version comes from the client's user agent: a
 * client inventing a new one per request would otherwise write a line each time. A real proxy sees
 * one or two.
 */
const MAX_VERSIONS = 16;

/**
 * Pure: what of this request's trimming counts as drift, or undefined when nothing does. The alarm
 * reads structure, on any release: from a release outside the checked ones (newer or older), all
 * that no rule placed counts; from one within them, only what says the release changed whoever
 * configured what (`claudeCode.structural`: a built-in tool mallex does not know, the user's text a
 * template could not place) and a template that did not apply — the rest there is the user's own (an
 * MCP server's or a hook's reminder, text naming a tool the profile drops), not drift. A request that
 * names no version does not count: the alarm could not say which release to check, and "once per
 * version" would not bound it.
 *
 * A template that did not apply: one of its agents' requests (it offers tools; a title or summary
 * request offers none and keeps its own prompt on every release) whose system prompt was passed
 * through for a reason the config did not choose (reasons `trimming.<size>.…` and `trim: false …` are
 * the config's: passthrough set, no system_template, a profile's trimming off).
 */
export function findClaudeCodeDrift(
  report: TrimReport,
  checked: CheckedReleases = CHECKED_CLAUDE_CODE,
): { version: string; where: ReleasePlace; unplaced: string[] } | undefined {
  const version = report.claudeCode?.version;
  if (version === undefined) return undefined;
  const where = releasePlace(version, checked);
  const unplaced = [...(where === "within" ? (report.claudeCode!.structural ?? []) : report.claudeCode!.unplaced)];
  const system = report.system;
  if (system.mode === "passthrough" && !/^(trimming\.|trim: false )/.test(system.reason) && report.tools.offered.length > 0) {
    unplaced.unshift(`system: the size's template was not applied (${system.reason})`);
  }
  return unplaced.length === 0 ? undefined : { version, where, unplaced };
}

/**
 * Pure: the log line, e.g. `Claude Code 2.1.400 is newer than the releases mallex's trimming was
 * checked against (2.1.100–2.1.332) and 3 parts of its request matched no rule: …; …; … — small
 * models get a larger prompt; run \`npm run check:claude-code\` or update mallex` ("is older than",
 * "is one of"). Escaped for one line.
 */
export function formatDriftLine(drift: ClaudeCodeDrift): string {
  const shown = drift.unplaced.slice(0, MAX_IN_LINE).join("; ");
  const more = drift.count - Math.min(drift.count, MAX_IN_LINE);
  const parts = drift.count === 1 ? "1 part of its request" : `${drift.count} parts of its request`;
  return escapeLogText(
    `Claude Code ${drift.version} ${PLACE_WORDS[drift.where ?? "newer"]} the releases mallex's trimming was checked against (${drift.checked.oldest}–${drift.checked.newest}) and ${parts} matched no rule: ${shown}${more > 0 ? ` and ${more} more` : ""} — small models get a larger prompt; run \`npm run check:claude-code\` or update mallex`,
  );
}

/** How the line says where the release stands. */
export const PLACE_WORDS: Record<ReleasePlace, string> = { newer: "is newer than", older: "is older than", within: "is one of" };

export interface ClaudeCodeDriftAlarm {
  /** A request's trimming: logs one line (and saves it) the first time its version drifts. Cheap when nothing drifts. */
  observe(report: TrimReport): void;
  /** The latest drift this process warned about. */
  last(): ClaudeCodeDrift | undefined;
}

export interface ClaudeCodeDriftAlarmOptions {
  log(line: string): void;
  /** Persists the drift (MALLEX_HOME/claude-code-drift.json), off the request's path; absent: not saved. */
  save?(drift: ClaudeCodeDrift): void;
  date(): Date;
  checked?: CheckedReleases;
}

/** The alarm, created with the server context: it remembers the versions it warned about (never module-level). */
export function createClaudeCodeDriftAlarm(options: ClaudeCodeDriftAlarmOptions): ClaudeCodeDriftAlarm {
  const checked = options.checked ?? CHECKED_CLAUDE_CODE;
  const warned = new Set<string>();
  let latest: ClaudeCodeDrift | undefined;
  return {
    observe(report) {
      const version = report.claudeCode?.version;
      if (version === undefined || warned.has(version) || warned.size >= MAX_VERSIONS) return;
      const found = findClaudeCodeDrift(report, checked);
      if (found === undefined) return;
      warned.add(version);
      latest = {
        version,
        where: found.where,
        unplaced: found.unplaced.slice(0, MAX_KEPT),
        count: found.unplaced.length,
        checked: { oldest: checked.oldest, newest: checked.newest },
        at: options.date().toISOString(),
      };
      options.log(formatDriftLine(latest));
      options.save?.(latest);
    },
    last: () => latest,
  };
}
