/**
 * A real browser for the dashboard's tests: Debian's chromium, driven by playwright-core (no browser
 * download). Where it is not installed the suites that need it are skipped, named with the reason
 * and said once on the console; under CI (CI=true) its absence fails them, because a skip there
 * would quietly drop their coverage (.ci/run installs it).
 */
import { existsSync } from "node:fs";
import { describe, it } from "vitest";

export const CHROMIUM = process.env.MALLEX_CHROMIUM ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
const BROWSER_MISSING = `needs chromium at ${CHROMIUM} (apt-get install -y chromium, or set MALLEX_CHROMIUM)`;
const inCI = process.env.CI === "true";

/** `describe` for a suite that drives the browser: one skipped test saying why without it, one failing test under CI. */
export function describeWithBrowser(name: string, fn: () => void): void {
  if (hasChromium) {
    describe(name, fn);
    return;
  }
  if (!inCI) console.warn(`mallex tests: ${name} skipped: ${BROWSER_MISSING}`);
  describe(name, () => {
    if (!inCI) return it.skip(BROWSER_MISSING, () => undefined);
    it(BROWSER_MISSING, () => {
      throw new Error(`${CHROMIUM} is missing: CI must install chromium (.ci/run does: apt-get install -y chromium)`);
    });
  });
}
