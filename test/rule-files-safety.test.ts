import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { BASE } from "./helpers/config-tree.js";
import { MALLEX_BIN } from "./helpers/run-cli.js";

/**
 * `mallex compile` on rule files an attacker (or a mistake) can include: each is a clear error in a
 * separate process that stays small. Peak RSS comes from the process itself (report-max-rss.cjs);
 * before the fix the alias bomb passed 3.2 GB, /dev/zero 16 GB and the FIFO never returned.
 */
const REPORT_RSS = fileURLToPath(new URL("./helpers/report-max-rss.cjs", import.meta.url));
const MAX_RSS_KIB = 100 * 1024;

async function compileWithInclude(files: Record<string, string>, include: string) {
  const dir = mkdtempSync(join(tmpdir(), "mallex-rule-files-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  writeFileSync(join(dir, "mallex.yaml"), `include: [${JSON.stringify(include)}]\n${BASE}`);
  const report = join(dir, "report.json");
  // A hang is a failure, not a slow pass: the FIFO blocked forever before.
  const result = await execa("node", ["--require", REPORT_RSS, MALLEX_BIN, "compile", "--out", join(dir, "generated")], {
    cwd: dir,
    env: { MALLEX_TEST_REPORT: report, NO_COLOR: "1" },
    reject: false,
    stdin: "ignore",
    timeout: 20_000,
  });
  const measured = JSON.parse(readFileSync(report, "utf8")) as { maxRssKiB: number; ms: number };
  console.info(
    `mallex compile with include ${include}: exit ${result.exitCode}, ${Math.round(measured.ms)} ms in the process, peak RSS ${Math.round(measured.maxRssKiB / 1024)} MB`,
  );
  return { ...result, dir, ...measured };
}

/** Ten aliases of ten aliases, nine levels deep: 10^9 strings once expanded. */
function aliasBomb(): string {
  const lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let level = 1; level <= 9; level++)
    lines.push(
      `a${level}: &a${level} [${Array(10)
        .fill(`*a${level - 1}`)
        .join(", ")}]`,
    );
  return `${lines.join("\n")}\n`;
}

describe("mallex compile on hostile includes", () => {
  it("refuses a YAML alias bomb with yaml's alias limit", async () => {
    const result = await compileWithInclude({ "bomb.yaml": aliasBomb() }, "./bomb.yaml");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("bomb.yaml:2:10: error [yaml-alias-limit] the file's aliases (*name) expand to too much data");
    expect(result.maxRssKiB).toBeLessThan(MAX_RSS_KIB);
  });

  it("refuses /dev/zero as a device, without reading it", async () => {
    const result = await compileWithInclude({}, "/dev/zero");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("error [config-unreadable] config file /dev/zero is a device, not a regular file");
    expect(result.maxRssKiB).toBeLessThan(MAX_RSS_KIB);
  });

  it.skipIf(process.platform === "win32")("refuses a FIFO at once instead of waiting for a writer", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mallex-fifo-"));
    const fifo = join(dir, "rules.yaml");
    execFileSync("mkfifo", [fifo]);
    const result = await compileWithInclude({}, fifo);
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`error [config-unreadable] config file ${fifo} is a FIFO (named pipe), not a regular file`);
    expect(result.maxRssKiB).toBeLessThan(MAX_RSS_KIB);
  });

  it("refuses a file over 1 MiB without reading it whole", async () => {
    const result = await compileWithInclude({ "huge.yaml": `filters: []\n# ${"x".repeat(2 * 1024 * 1024)}\n` }, "./huge.yaml");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("error [config-unreadable] config file huge.yaml is 2.0 MiB, over the 1.0 MiB a rule file may hold");
  });

  it("never prints the lines of an /etc/shadow-like include", async () => {
    const shadow = [
      "root:$6$Qx9sLt$1nT3rnal5ecretHashAAAA:19000:0:99999:7:::",
      "daemon:*:19000:0:99999:7:::",
      "alice:$6$Zz$an0therSecretHash:19000:0:99999:7:::",
    ].join("\n");
    const passwd = ["root:x:0:0:root:/root:/bin/bash", "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash"].join("\n");
    for (const [name, content] of [
      ["shadow", shadow],
      ["passwd", passwd],
    ] as const) {
      const result = await compileWithInclude({ [name]: `${content}\n` }, `./${name}`);
      expect(result.exitCode).toBe(1);
      const output = `${result.stdout}\n${result.stderr}`;
      for (const line of content.split("\n")) {
        expect(output).not.toContain(line.slice(0, line.indexOf(":", line.indexOf(":") + 1)));
      }
      expect(output).not.toMatch(/\$6\$|\/bin\/bash|Alice/);
      expect(result.stderr).toMatch(new RegExp(`${name}:1:1: error \\[schema-`));
      expect(result.maxRssKiB).toBeLessThan(MAX_RSS_KIB);
    }
  });
});
