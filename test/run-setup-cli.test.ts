import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { compileIn, packageRoot, writeTree } from "./helpers/config-tree.js";
import { MALLEX_BIN } from "./helpers/run-cli.js";

/**
 * `mallex run --setup` in a folder that has a mallex.yaml which is not the user's (a clone of mallex,
 * a project's rules): the user's config is written to and read from MALLEX_HOME, and the folder's
 * file is neither used nor compiled. Claude Code is a stand-in on PATH that sends one request.
 */
const FAKE_CLAUDE = `#!/usr/bin/env node
(async () => {
  const res = await fetch(process.env.ANTHROPIC_BASE_URL + "/v1/messages", {
    method: "POST",
    headers: { authorization: "Bearer " + process.env.ANTHROPIC_AUTH_TOKEN, "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: "what is 2+2" }] }),
  });
  console.log("fake claude: " + res.status + (res.ok ? "" : " " + (await res.text())));
  process.exitCode = res.ok ? 0 : 3;
})();
`;

function runSetup(cwd: string, mallexHome: string, bin: string, backendUrl: string) {
  return execa("node", [MALLEX_BIN, "run", "--setup", "--backend-url", backendUrl], {
    cwd,
    reject: false,
    stdin: "ignore",
    timeout: 60_000,
    extendEnv: false,
    env: { HOME: mkdtempSync(join(tmpdir(), "mallex-home-")), PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`, LANG: "C.UTF-8", MALLEX_HOME: mallexHome },
  });
}

describe("mallex run --setup", () => {
  let mlx: FakeMlxServer;
  beforeAll(async () => {
    // Whichever local profile init picks here, the fake serves its model name (the embedded engine's backend is sent one).
    const availableModels = Object.values(compileIn(packageRoot).table!.profiles).map((p) => p.model);
    mlx = await createFakeMlxServer({ respond: () => ({ text: "4" }), availableModels });
  });
  afterAll(() => mlx.close());

  it("writes and uses the user's config in MALLEX_HOME, never the mallex.yaml of the folder it runs in", async () => {
    const foreign = "include: [mallex]\ntiers:\n  medium: { profile: qwen3-coder-next-8bit }\n";
    const folder = writeTree({ "mallex.yaml": foreign });
    const bin = writeTree({ claude: FAKE_CLAUDE });
    chmodSync(join(bin, "claude"), 0o755);
    const home = join(mkdtempSync(join(tmpdir(), "mallex-state-")), "state");
    const userConfig = join(home, "mallex.yaml");

    const first = await runSetup(folder, home, bin, mlx.url);
    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain(`✓ wrote ${userConfig} (it compiles)`);
    expect(first.stdout).toContain("fake claude: 200");
    // The folder's file is untouched and was not compiled; the user's was, next to it.
    expect(readFileSync(join(folder, "mallex.yaml"), "utf8")).toBe(foreign);
    expect(existsSync(join(folder, "generated"))).toBe(false);
    expect(existsSync(join(home, "generated", "routing-table.json"))).toBe(true);
    // The request was routed by the user's tiers, not the folder's.
    const medium = /^ {2}medium: +\{ profile: (\S+) \}/m.exec(readFileSync(userConfig, "utf8"))![1]!;
    const log = readFileSync(join(home, "mallex.log"), "utf8");
    expect(log).toContain(`→ ${medium} (default → medium)`);
    expect(log).not.toContain("qwen3-coder-next-8bit");

    // The second time it finds the user's config and writes nothing.
    writeFileSync(userConfig, `${readFileSync(userConfig, "utf8")}# kept\n`);
    const second = await runSetup(folder, home, bin, mlx.url);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).toContain(`mallex: using ${userConfig}`);
    expect(second.stdout).not.toContain("✓ wrote");
    expect(readFileSync(userConfig, "utf8")).toMatch(/# kept\n$/);
  }, 120_000);
});
