/**
 * The `shared` folder beside this clone (../shared): Claude Code requests captured from the real CLI
 * and tiny GGUF models, reference data that is not committed here. A fresh clone has none, so the
 * suites that read it are skipped, named with the reason; under CI (CI=true) a missing folder fails
 * them instead, because a skip there would quietly drop their coverage.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "vitest";

export const SHARED_DIR = fileURLToPath(new URL("../../../shared", import.meta.url));
export const hasSharedDir = existsSync(SHARED_DIR);
export const SHARED_MISSING = `needs ../shared (not found beside this clone: ${SHARED_DIR})`;
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
      throw new Error(`${SHARED_DIR} is missing: CI must provide the shared folder (captured requests, models) beside the repository`);
    });
  });
}

/**
 * Vitest's global setup: one line per run when the folder is missing, since the default reporter
 * only counts skipped tests. Under CI the suites above fail and say why themselves.
 */
export function setup(): void {
  if (!hasSharedDir && !inCI) console.warn(`mallex tests: ${SHARED_DIR} is missing, so the suites that read its captured requests and models are skipped; put the shared folder there to run them`);
}
