import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

export const MALLEX_BIN = fileURLToPath(new URL("../../bin/mallex.js", import.meta.url));

/**
 * Runs the built CLI (`npm test` builds first) as a user would: a separate process, no throw on
 * failure. Without a MALLEX_HOME of the test's own, an empty one of its own, removed after: every
 * command reads this machine's settings there, and none may be the developer's (or be written there).
 */
export async function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const home = options.env?.MALLEX_HOME === undefined ? mkdtempSync(join(tmpdir(), "mallex-cli-home-")) : undefined;
  try {
    return await execa("node", [MALLEX_BIN, ...args], {
      cwd: options.cwd,
      env: { ...(home ? { MALLEX_HOME: home } : {}), ...options.env },
      reject: false,
      stdin: "ignore",
    });
  } finally {
    if (home) rmSync(home, { recursive: true, force: true });
  }
}
