import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatStatus } from "../../src/cli/format-status.js";
import { checkClaudeCode } from "../../src/doctor/check-claude-code.js";
import { createDoctorDeps } from "../../src/doctor/create-doctor-deps.js";
import { createClaudeCodeDriftAlarm, findClaudeCodeDrift, formatDriftLine, type ClaudeCodeDrift } from "../../src/observe/claude-code-drift.js";
import { claudeCodeDriftPath, createClaudeCodeDriftSaver, parseClaudeCodeDrift } from "../../src/observe/save-claude-code-drift.js";
import { compareVersions } from "../../src/shared/compare-versions.js";
import { CHECKED_CLAUDE_CODE } from "../../src/trim/claude-code/claude-code-versions.js";
import type { TrimReport } from "../../src/trim/trim-types.js";
import { packageRoot } from "../helpers/config-tree.js";

const CHECKED_RANGE = `${CHECKED_CLAUDE_CODE.oldest}–${CHECKED_CLAUDE_CODE.newest}`;

const devDependencies = (JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies;

/** A trim report as trimRequest makes it for a Claude Code agent's request. */
function report(claudeCode: TrimReport["claudeCode"], system: TrimReport["system"] = { mode: "template", template: "medium", sections: [] }): TrimReport {
  return {
    rules: [],
    before: { chars: 100, tokens: 25 },
    after: { chars: 50, tokens: 12 },
    system,
    tools: { mode: "native", offered: ["Read"], client: [] },
    prefixTokens: 0,
    user: [],
    ...(claudeCode === undefined ? {} : { claudeCode }),
  };
}

const UNPLACED = [
  "messages.0.content.0 (reminder 1): a reminder no filter or keep rule knows, passed on unwrapped",
  "tools.BrandNewTool: a built-in tool mallex does not know yet, shaped as one",
];

function alarm() {
  const lines: string[] = [];
  const saved: ClaudeCodeDrift[] = [];
  const it = createClaudeCodeDriftAlarm({
    log: (line) => lines.push(line),
    save: (drift) => saved.push(drift),
    date: () => new Date("2026-05-01T12:00:00.000Z"),
  });
  return { alarm: it, lines, saved };
}

describe("CHECKED_CLAUDE_CODE", () => {
  it("are the claude-code-older devDependency and the claude-code-newest one, the pinned one between", () => {
    expect(`npm:@anthropic-ai/claude-code@${CHECKED_CLAUDE_CODE.oldest}`).toBe(devDependencies["claude-code-older"]);
    expect(compareVersions(devDependencies["@anthropic-ai/claude-code"]!, CHECKED_CLAUDE_CODE.oldest)).toBeGreaterThan(0);
    expect(compareVersions(devDependencies["@anthropic-ai/claude-code"]!, CHECKED_CLAUDE_CODE.newest)).toBeLessThan(0);
    expect(`npm:@anthropic-ai/claude-code@${CHECKED_CLAUDE_CODE.newest}`).toBe(devDependencies["claude-code-newest"]);
  });
});

describe("the drift alarm", () => {
  it("warns once for a newer version with something unplaced, with the version and what matched no rule", () => {
    const { alarm: a, lines, saved } = alarm();
    a.observe(report({ version: "2.1.400", unplaced: UNPLACED }));
    expect(lines).toEqual([
      `Claude Code 2.1.400 is newer than the releases mallex's trimming was checked against (${CHECKED_RANGE}) and 2 parts of its request matched no rule: ${UNPLACED.join("; ")} — small models get a larger prompt; run \`npm run check:claude-code\` or update mallex`,
    ]);
    expect(saved).toEqual([
      { version: "2.1.400", where: "newer", unplaced: UNPLACED, count: 2, checked: { ...CHECKED_CLAUDE_CODE }, at: "2026-05-01T12:00:00.000Z" },
    ]);
    expect(a.last()).toEqual(saved[0]);
    // The same version again: nothing more; another newer version: its own line.
    a.observe(report({ version: "2.1.400", unplaced: [...UNPLACED, "tools.Other: a built-in tool mallex does not know yet, shaped as one"] }));
    expect(lines).toHaveLength(1);
    a.observe(report({ version: "2.2.0", unplaced: UNPLACED.slice(1) }));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain("Claude Code 2.2.0 is newer than");
    expect(lines[1]).toContain("and 1 part of its request matched no rule: tools.BrandNewTool");
  });

  it("reads structure on any release: an older one as a newer one, and within the checked ones what says the release changed", () => {
    const { alarm: a, lines, saved } = alarm();
    a.observe(report({ version: "2.1.50", unplaced: UNPLACED }));
    expect(lines[0]).toContain(
      `Claude Code 2.1.50 is older than the releases mallex's trimming was checked against (${CHECKED_RANGE}) and 2 parts of its request matched no rule:`,
    );
    expect(saved[0]).toMatchObject({ version: "2.1.50", where: "older", count: 2 });
    // Within the range the user's own reminder is not drift; a built-in mallex does not know is.
    a.observe(report({ version: "2.1.250", unplaced: UNPLACED, structural: UNPLACED.slice(1) }));
    expect(lines[1]).toContain(
      `Claude Code 2.1.250 is one of the releases mallex's trimming was checked against (${CHECKED_RANGE}) and 1 part of its request matched no rule: tools.BrandNewTool`,
    );
    expect(saved[1]).toMatchObject({ where: "within", unplaced: UNPLACED.slice(1) });
  });

  it("stays quiet for the checked releases, a newer one that placed everything, and a request with no version", () => {
    const { alarm: a, lines, saved } = alarm();
    a.observe(report({ version: CHECKED_CLAUDE_CODE.newest, unplaced: UNPLACED }));
    a.observe(report({ version: CHECKED_CLAUDE_CODE.oldest, unplaced: UNPLACED }));
    a.observe(report({ version: "2.1.250", unplaced: UNPLACED }));
    a.observe(report({ version: "2.1.400", unplaced: [] }));
    a.observe(report({ unplaced: UNPLACED }));
    a.observe(report(undefined));
    expect(lines).toEqual([]);
    expect(saved).toEqual([]);
    expect(a.last()).toBeUndefined();
    // A newer one that placed everything once may still drift later (its version was not warned about).
    a.observe(report({ version: "2.1.400", unplaced: UNPLACED }));
    expect(lines).toHaveLength(1);
  });

  it("counts a system prompt passed through for a reason the config did not choose, on an agent's request only", () => {
    const passed = (reason: string, offered = ["Read"]) => ({
      ...report({ version: "2.1.400", unplaced: [] }, { mode: "passthrough", reason }),
      tools: { mode: "native" as const, offered, client: [] },
    });
    expect(findClaudeCodeDrift(passed("no keep rule of trimming.medium matched: not a Claude Code agent's system prompt"))).toEqual({
      version: "2.1.400",
      where: "newer",
      unplaced: ["system: the size's template was not applied (no keep rule of trimming.medium matched: not a Claude Code agent's system prompt)"],
    });
    expect(findClaudeCodeDrift(passed("trimming.medium.passthrough is set"))).toBeUndefined();
    expect(findClaudeCodeDrift(passed("trimming.large has no system_template"))).toBeUndefined();
    // A title or summary request offers no tools and keeps its own prompt on every release.
    expect(findClaudeCodeDrift(passed("the request has no system prompt", []))).toBeUndefined();
  });

  it("names at most 3 items in its line, then how many more, and escapes what could break the line", () => {
    const drift: ClaudeCodeDrift = {
      version: "2.1.400",
      unplaced: ["a", "b", "c", "d", "tools.X\nforged"],
      count: 25,
      checked: CHECKED_CLAUDE_CODE,
      at: "2026-05-01T12:00:00.000Z",
    };
    expect(formatDriftLine(drift)).toContain("and 25 parts of its request matched no rule: a; b; c and 22 more — small models");
    expect(formatDriftLine({ ...drift, unplaced: ["tools.X\nforged"], count: 1 })).toContain("tools.X\\nforged");
  });

  it("is shown by `mallex status` and survives its file", async () => {
    const drift: ClaudeCodeDrift = { version: "2.1.400", unplaced: UNPLACED, count: 2, checked: { ...CHECKED_CLAUDE_CODE }, at: "2026-05-01T12:00:00.000Z" };
    const lines = formatStatus(
      "http://127.0.0.1:4000",
      { type: "snapshot", requests: [], servers: [], pools: [], claudeCodeDrift: drift },
      { requests: 10, now: 0 },
    );
    expect(lines).toContain("Claude Code:");
    expect(lines).toContain(`  ${formatDriftLine(drift)}`);
    const home = mkdtempSync(join(tmpdir(), "mallex-drift-"));
    const saver = createClaudeCodeDriftSaver(claudeCodeDriftPath(join(home, "new")), { onError: (message) => expect.fail(message) });
    saver.save(drift);
    await saver.flush();
    expect(parseClaudeCodeDrift(readFileSync(claudeCodeDriftPath(join(home, "new")), "utf8"))).toEqual(drift);
    expect(parseClaudeCodeDrift("{}")).toBeUndefined();
    expect(parseClaudeCodeDrift("not json")).toBeUndefined();
  });
});

describe("doctor's claude code check", () => {
  /** A `claude` on PATH that prints `version`, and a MALLEX_HOME. */
  function fakeClaude(version: string) {
    const dir = mkdtempSync(join(tmpdir(), "mallex-claude-"));
    writeFileSync(join(dir, "claude"), `#!/bin/sh\necho "${version} (Claude Code)"\n`);
    chmodSync(join(dir, "claude"), 0o755);
    const home = mkdtempSync(join(tmpdir(), "mallex-home-"));
    return { dir, home, deps: createDoctorDeps({ cwd: dir, env: { PATH: dir, MALLEX_HOME: home }, packageRoot }) };
  }

  it("warns when the claude it finds is newer than the newest release checked or older than the oldest, and says when it is within the range", async () => {
    const newer = fakeClaude("2.1.999");
    expect(await checkClaudeCode({ deps: newer.deps })).toEqual({
      name: "claude code",
      ok: true,
      warning: true,
      detail: `2.1.999 (Claude Code) at ${join(newer.dir, "claude")} is newer than the newest release mallex's trimming was checked against (${CHECKED_CLAUDE_CODE.newest}): trimming may keep more than it should; \`npm run check:claude-code\` shows what`,
    });
    const checked = fakeClaude(CHECKED_CLAUDE_CODE.newest);
    expect(await checkClaudeCode({ deps: checked.deps })).toEqual({
      name: "claude code",
      ok: true,
      detail: `${CHECKED_CLAUDE_CODE.newest} (Claude Code) at ${join(checked.dir, "claude")}, within the releases mallex's trimming was checked against (${CHECKED_RANGE})`,
    });
    const older = fakeClaude("2.1.99");
    const result = await checkClaudeCode({ deps: older.deps });
    expect(result).toMatchObject({ ok: true, warning: true });
    expect(result.detail).toMatch(
      /^2\.1\.99 \(Claude Code\) at .* is older than the oldest release mallex's trimming was checked against \([\d.]+–[\d.]+\): its prompt may trim worse; update it \(npm install -g @anthropic-ai\/claude-code@2\.1\.197\)$/,
    );
    expect(result.detail).toContain(`(${CHECKED_RANGE})`);
  });

  it("tells the drift a proxy saved in MALLEX_HOME", async () => {
    const checked = fakeClaude(CHECKED_CLAUDE_CODE.newest);
    const drift: ClaudeCodeDrift = { version: "2.1.999", unplaced: UNPLACED, count: 2, checked: { ...CHECKED_CLAUDE_CODE }, at: "2026-05-01T12:00:00.000Z" };
    writeFileSync(claudeCodeDriftPath(checked.home), JSON.stringify(drift));
    const result = await checkClaudeCode({ deps: checked.deps });
    expect(result).toMatchObject({ ok: true, warning: true });
    expect(result.detail).toBe(
      `${CHECKED_CLAUDE_CODE.newest} (Claude Code) at ${join(checked.dir, "claude")}, within the releases mallex's trimming was checked against (${CHECKED_RANGE}); a proxy saw on 2026-05-01T12:00:00.000Z: ${formatDriftLine(drift)}`,
    );
  });
});
