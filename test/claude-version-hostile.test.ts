/**
 * `claude --version` (and npx fetching Claude Code) is a program mallex does not control (issue 37):
 * a fake one that leaves a background process holding its output, or prints without end, cannot keep
 * `mallex run` or `mallex eval` waiting, and leaves nothing running.
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fetchClaudeCode } from "../src/cli/claude-code/fetch-claude-code.js";
import { runInOwnGroup } from "../src/shared/run-in-own-group.js";
import { lookupPython } from "../src/supervisor/bootstrap-venv.js";
import { systemProcessInspector } from "../src/supervisor/processes/process-identity.js";
import { useTempsAndChildren } from "./helpers/temps-and-children.js";

const { tempDir } = useTempsAndChildren("mallex-claude-version-");

/** A fake `claude`/`npx` shell script in a temp folder: `body(folder)` after `#!/bin/sh`. */
function fakeProgram(body: (dir: string) => string): { file: string; dir: string } {
  const dir = tempDir();
  const file = join(dir, "claude");
  writeFileSync(file, `#!/bin/sh\n${body(dir)}\n`);
  chmodSync(file, 0o755);
  return { file, dir };
}

/** A script that answers its version, leaving a process behind that holds its stdout for ten minutes (its pid in bg.pid). */
const leavesBackground = (dir: string) => `sleep 600 &\necho $! > ${JSON.stringify(join(dir, "bg.pid"))}\necho "2.1.0 (Claude Code)"`;

describe("a `claude --version` mallex does not control", () => {
  it("answers, and a process it left in the background holding its output neither keeps mallex waiting nor outlives it", async () => {
    const { file, dir } = fakeProgram(leavesBackground);
    const result = await runInOwnGroup(file, ["--version"], { timeoutMs: 600_000 });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, outputCut: false });
    expect(result.output).toBe("2.1.0 (Claude Code)");
    const background = Number(readFileSync(join(dir, "bg.pid"), "utf8"));
    await expect.poll(() => systemProcessInspector.isAlive(background)).toBe(false);
  });

  it("npx fetching Claude Code: done once npx answered, whatever it left in the background", async () => {
    const { file, dir } = fakeProgram(leavesBackground);
    const lines: string[] = [];
    await fetchClaudeCode({ file, prefix: ["-y", "@anthropic-ai/claude-code@2.1.0"], npx: { version: "2.1.0" } }, (line) => lines.push(line));
    expect(lines).toHaveLength(1);
    await expect.poll(() => systemProcessInspector.isAlive(Number(readFileSync(join(dir, "bg.pid"), "utf8")))).toBe(false);
  });

  it("one that prints without end is ended past 64 Ki characters, with a sentence saying so", async () => {
    const { file } = fakeProgram(() => "yes 'npm warn endless'");
    await expect(fetchClaudeCode({ file, prefix: [], npx: { version: "2.1.0" } }, () => undefined)).rejects.toThrow(
      /could not fetch @anthropic-ai\/claude-code@2\.1\.0: it printed more than 64 Ki characters for --version\./,
    );
  });

  it("one that never answers is ended at its limit, its whole group with it", async () => {
    const { file, dir } = fakeProgram((folder) => `${leavesBackground(folder)}\nsleep 600`);
    const result = await runInOwnGroup(file, ["--version"], { timeoutMs: 200, graceMs: 200 });
    expect(result).toMatchObject({ timedOut: true });
    expect(result.exitCode).toBeUndefined();
    await expect.poll(() => systemProcessInspector.isAlive(Number(readFileSync(join(dir, "bg.pid"), "utf8")))).toBe(false);
  });
});

describe("a `python --version` mallex does not control (mlx-lm's venv)", () => {
  it("answers, and what it left in the background holding its output neither keeps mallex waiting nor outlives it", async () => {
    const { file, dir } = fakeProgram((folder) => `sleep 600 &\necho $! > ${JSON.stringify(join(folder, "bg.pid"))}\necho "Python 3.12.1"`);
    expect(await lookupPython([file])).toEqual({ found: { command: file, version: "3.12.1" }, tooOld: [] });
    await expect.poll(() => systemProcessInspector.isAlive(Number(readFileSync(join(dir, "bg.pid"), "utf8")))).toBe(false);
  });

  it("one that prints without end is ended past 4 Ki characters and passed over for the next", async () => {
    const endless = fakeProgram(() => "yes 'Python 3.12.1'").file;
    const python = fakeProgram(() => 'echo "Python 3.11.4"').file;
    expect(await lookupPython([endless, python])).toEqual({ found: { command: python, version: "3.11.4" }, tooOld: [] });
  });
});
