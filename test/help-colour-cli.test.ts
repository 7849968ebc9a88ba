import { dirname } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { MALLEX_BIN } from "./helpers/run-cli.js";

/**
 * `--help` piped (into a file, `less`, a test): plain text. The environment is a user's shell, not
 * the test runner's: citty itself drops colour when TEST or CI is set, which would hide the bug.
 */
const shell = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: process.env.HOME ?? "/tmp", TERM: "xterm-256color" };
const ESC = "\u001B";

describe("--help has no colour codes when piped", () => {
  it.each([[["--help"]], [["run", "--help"]], [["engine", "-h"]]])("mallex %s", async (args) => {
    const result = await execa("node", [MALLEX_BIN, ...args], { reject: false, stdin: "ignore", extendEnv: false, env: shell });
    expect(result.stdout).toMatch(/USAGE/);
    expect(result.stdout).not.toContain(ESC);
    expect(result.stderr).not.toContain(ESC);
  });

  it("mallex nope: one plain line, no usage", async () => {
    const result = await execa("node", [MALLEX_BIN, "nope"], { reject: false, stdin: "ignore", extendEnv: false, env: shell });
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^mallex: unknown command "nope" \(.*`mallex --help` lists the commands\)$/);
    expect(result.stderr).not.toContain(ESC);
  });
});
