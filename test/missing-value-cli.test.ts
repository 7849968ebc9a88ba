import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BASE, writeTree } from "./helpers/config-tree.js";
import { runCli } from "./helpers/run-cli.js";

// Runs the built CLI: `npm test` builds first.
describe("a string option given no value is a usage error, not the current folder", () => {
  it("`mallex proxy --embedded` and `mallex run --embedded`: exit 2 with one line, nothing served", async () => {
    const dir = writeTree({ "mallex.yaml": BASE });
    const env = { MALLEX_HOME: mkdtempSync(join(tmpdir(), "mallex-state-")) };
    for (const command of ["proxy", "run"]) {
      const result = await runCli([command, "--port", "0", "--embedded"], { cwd: dir, env });
      expect(result.exitCode).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(`mallex: --embedded needs a value (--embedded <gguf>; \`mallex ${command} --help\` says more)`);
    }
    // Before Claude Code's arguments, and followed by another option of mallex's.
    expect((await runCli(["run", "--embedded", "--", "-p", "hi"], { cwd: dir, env })).stderr).toBe(
      "mallex: --embedded needs a value (--embedded <gguf>; `mallex run --help` says more)",
    );
    expect((await runCli(["proxy", "--embedded", "--port", "0"], { cwd: dir, env })).exitCode).toBe(2);
  });

  it("`mallex engine --model` / `-m` / `--model=`: exit 2, never a model looked for in the current folder", async () => {
    const env = { MALLEX_HOME: mkdtempSync(join(tmpdir(), "mallex-state-")) };
    for (const spelling of [["--model"], ["-m"], ["--model="], ["--model", "--port", "0"]]) {
      const result = await runCli(["engine", ...spelling], { env });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/^mallex: (--model|-m) needs a value \(--model <path\|hf:uri>; `mallex engine --help` says more\)$/);
    }
  });
});
