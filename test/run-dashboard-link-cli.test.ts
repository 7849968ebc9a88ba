import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { writeTree } from "./helpers/config-tree.js";
import { MALLEX_BIN } from "./helpers/run-cli.js";

/**
 * `mallex run` says where its dashboard is, with the token only its session knows (issue 50: it
 * printed no link, and the token sat in MALLEX_HOME/proxies/ alone). Claude Code is a stand-in on
 * PATH that opens the dashboard's data with what mallex gave it, while the proxy runs. Runs the built
 * CLI: `npm test` builds first.
 */
const FAKE_CLAUDE = `#!/usr/bin/env node
(async () => {
  const res = await fetch(process.env.ANTHROPIC_BASE_URL + "/ui/api/snapshot", { headers: { authorization: "Bearer " + process.env.ANTHROPIC_AUTH_TOKEN } });
  console.log(JSON.stringify({ base: process.env.ANTHROPIC_BASE_URL, token: process.env.ANTHROPIC_AUTH_TOKEN, status: res.status }));
})();
`;

describe("mallex run", () => {
  it("prints its dashboard's link with the session's token before Claude Code starts, and that token opens the dashboard", async () => {
    const bin = writeTree({ claude: FAKE_CLAUDE });
    chmodSync(join(bin, "claude"), 0o755);
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    const result = await execa("node", [MALLEX_BIN, "run", "--backend-url", "http://127.0.0.1:9/v1", "--", "-p", "hi"], {
      cwd: writeTree({}),
      reject: false,
      stdin: "ignore",
      timeout: 60_000,
      extendEnv: false,
      env: { PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home, MALLEX_HOME: home, LANG: "C.UTF-8" },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const claude = JSON.parse(result.stdout) as { base: string; token: string; status: number };
    expect(claude.status).toBe(200);
    expect(claude.token).toMatch(/^mallex-[0-9a-f]{32}$/);
    expect(result.stderr.split("\n")).toContain(`mallex: dashboard: ${claude.base}/ui#token=${claude.token}`);
  });
});
