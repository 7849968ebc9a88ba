import { fileURLToPath } from "node:url";
import { execa } from "execa";

export const MALLEX_BIN = fileURLToPath(new URL("../../bin/mallex.js", import.meta.url));

/** Runs the built CLI (`npm test` builds first) as a user would: a separate process, no throw on failure. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  return execa("node", [MALLEX_BIN, ...args], { cwd: options.cwd, env: options.env, reject: false, stdin: "ignore" });
}
