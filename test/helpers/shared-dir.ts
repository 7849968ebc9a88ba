/**
 * The `shared` folder beside this clone (../shared, or wherever MALLEX_SHARED_DIR points): Claude
 * Code requests captured from the real CLI (fixtures/claude-code) and tiny GGUF models (models/),
 * reference data that is not committed here. A fresh clone has none, so the suites that read it are
 * skipped, named with the reason, and the run says so at its start and again at its end, where a
 * long run's reader looks; under CI (CI=true) a missing folder fails them instead, because a
 * skip there would quietly drop their coverage.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "vitest";

export const SHARED_DIR = process.env.MALLEX_SHARED_DIR ? resolve(process.env.MALLEX_SHARED_DIR) : fileURLToPath(new URL("../../../shared", import.meta.url));
export const hasSharedDir = existsSync(SHARED_DIR);
/** What the folder holds, for every message that says it is missing. */
const WHAT_IT_HOLDS = "Claude Code requests captured from the real CLI, tiny GGUF models";
export const SHARED_MISSING = `needs the shared test data at ${SHARED_DIR} (${WHAT_IT_HOLDS}): not found`;
const inCI = process.env.CI === "true";

/** A path inside ../shared, e.g. sharedPath("models", "stories260K.gguf"). */
export function sharedPath(...parts: string[]): string {
  return join(SHARED_DIR, ...parts);
}

/** A Claude Code exchange captured in ../shared/fixtures/claude-code: its body, headers and URL. */
export function readCapture<Body = Record<string, unknown>>(name: string): { body: Body; headers: Record<string, string>; url: string } {
  return JSON.parse(readFileSync(sharedPath("fixtures", "claude-code", name), "utf8")) as { body: Body; headers: Record<string, string>; url: string };
}

/**
 * `describe` for a suite that reads ../shared. Without the folder the suite's body never runs (it
 * may read a capture while it is collected): it holds one skipped test that says why, or under CI
 * one failing test. `suite` is the describe to use, e.g. `describe.skipIf(…)` for a second condition.
 */
export function describeWithShared(name: string, fn: () => void, suite: (name: string, fn: () => void) => void = describe): void {
  if (hasSharedDir) return suite(name, fn);
  suite(name, () => {
    if (!inCI) return it.skip(SHARED_MISSING, () => undefined);
    it(SHARED_MISSING, () => {
      throw new Error(`${SHARED_DIR} is missing: CI must provide the shared folder (${WHAT_IT_HOLDS}) beside the repository`);
    });
  });
}

/**
 * The notice for a run without the folder: what is missing and what it holds, then what to do. Two
 * lines, said when the run starts and again when it ends (the default reporter only counts skipped
 * tests, and the first line is long gone after a full run).
 */
export const SHARED_NOTICE = [
  `mallex tests: no shared test data at ${SHARED_DIR} (${WHAT_IT_HOLDS}; not committed here), so the suites that need it were skipped.`,
  "mallex tests: put the shared folder (fixtures/claude-code, models) beside this clone as ../shared, or set MALLEX_SHARED_DIR to it.",
].join("\n");

/**
 * Vitest's global setup: the notice when the folder is missing, at the start, and from the teardown
 * it returns, after the run's summary. Under CI the suites above fail and say why themselves.
 */
export function setup(): (() => void) | undefined {
  if (hasSharedDir || inCI) return undefined;
  console.warn(SHARED_NOTICE.replace("were skipped", "are skipped"));
  return () => console.warn(`\n${SHARED_NOTICE}`);
}
