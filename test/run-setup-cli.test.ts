import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createServer, type AddressInfo } from "node:net";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { compileIn, packageRoot, writeTree } from "./helpers/config-tree.js";
import { MALLEX_BIN } from "./helpers/run-cli.js";
import { hasSharedDir, sharedPath } from "./helpers/shared-dir.js";

/**
 * `mallex run --setup` in a clone of mallex, whose mallex.yaml is not the user's: this machine's
 * settings are written to and read from MALLEX_HOME, and the clone's file is neither used nor compiled;
 * in a project's folder its mallex.yaml is merged on top, and said so. Claude Code is a stand-in on
 * PATH that sends one request.
 */
const FAKE_CLAUDE = `#!/usr/bin/env node
(async () => {
  const res = await fetch(process.env.ANTHROPIC_BASE_URL + "/v1/messages", {
    method: "POST",
    headers: { authorization: "Bearer " + process.env.ANTHROPIC_AUTH_TOKEN, "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 64, messages: [{ role: "user", content: "what is 2+2" }] }),
  });
  console.log("fake claude: " + res.status + (res.ok ? "" : " " + (await res.text())));
  process.exitCode = res.ok ? 0 : 3;
})();
`;

function runSetup(cwd: string, mallexHome: string, bin: string, backendUrl: string | undefined, env: Record<string, string> = {}) {
  return runMallex(["run", "--setup", ...(backendUrl === undefined ? [] : ["--backend-url", backendUrl])], cwd, mallexHome, bin, env);
}

function runMallex(args: string[], cwd: string, mallexHome: string, bin: string, env: Record<string, string> = {}) {
  return execa("node", [MALLEX_BIN, ...args], {
    cwd,
    reject: false,
    stdin: "ignore",
    timeout: 60_000,
    extendEnv: false,
    env: {
      HOME: mkdtempSync(join(tmpdir(), "mallex-home-")),
      PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
      LANG: "C.UTF-8",
      MALLEX_HOME: mallexHome,
      ...env,
    },
  });
}

/** A loopback port nothing listens on: Hugging Face as an offline machine sees it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("mallex run --setup", () => {
  let mlx: FakeMlxServer;
  beforeAll(async () => {
    // Whichever local profile init picks here, the fake serves its model name (the embedded engine's backend is sent one).
    const availableModels = Object.values(compileIn(packageRoot).table!.profiles).map((p) => p.model);
    mlx = await createFakeMlxServer({ respond: () => ({ text: "4" }), availableModels });
  });
  afterAll(() => mlx.close());

  it("writes and uses this machine's settings in MALLEX_HOME, never a clone of mallex's own mallex.yaml; a project's rules on top", async () => {
    const foreign = "include: [mallex]\ntiers:\n  medium: { profile: qwen3-coder-next-8bit }\n";
    const folder = writeTree({ "package.json": '{ "name": "mallex" }\n', "mallex.yaml": foreign });
    const bin = writeTree({ claude: FAKE_CLAUDE });
    chmodSync(join(bin, "claude"), 0o755);
    const home = join(mkdtempSync(join(tmpdir(), "mallex-state-")), "state");
    const userConfig = join(home, "mallex.yaml");

    const first = await runSetup(folder, home, bin, mlx.url);
    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain(`✓ wrote ${userConfig} (it compiles)`);
    expect(first.stdout).toContain("fake claude: 200");
    // MALLEX_HOME, made for the config, was private from the start: no tightening of a folder mallex
    // itself had just made, and no sentence about it (issue 50).
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(first.stderr).not.toContain("(MALLEX_HOME) private");
    // It goes on by itself: no "Next: mallex run --config …" for what it is already doing.
    expect(first.stdout).not.toContain("Next:");
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
    expect(second.stderr).toContain(`mallex: config: ${userConfig} (this machine's settings)\n`);
    expect(second.stdout).not.toContain("✓ wrote");
    expect(readFileSync(userConfig, "utf8")).toMatch(/# kept\n$/);

    // In a project's folder, plain `run` uses the same settings with the project's rules on top, and says so.
    const project = writeTree({
      "mallex.yaml": "include: [mallex]\nfilters:\n  - id: team-ticket-footer\n    where: [system]\n    pattern: '^Ticket:'\n    action: drop\n",
    });
    const plain = await runMallex(["run", "--backend-url", mlx.url], project, home, bin);
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stderr).toContain(`mallex: config: ${userConfig} (this machine's settings) + mallex.yaml (this project's rules)\n`);
    expect(readFileSync(join(home, "mallex.log"), "utf8").match(new RegExp(`→ ${medium.replace(/\./g, "\\.")} \\(default → medium\\)`, "g"))).toHaveLength(3);
  }, 120_000);

  // Off Apple Silicon --setup picks mallex's engine, whose first start downloads a GGUF from the Hub.
  it.skipIf(process.platform === "darwin" && process.arch === "arm64")(
    "offline, says in two short lines what failed and what to do, with the download's address",
    async () => {
      const bin = writeTree({ claude: FAKE_CLAUDE });
      chmodSync(join(bin, "claude"), 0o755);
      const home = join(mkdtempSync(join(tmpdir(), "mallex-state-")), "state");
      const hub = `http://127.0.0.1:${await closedPort()}`;
      const folder = writeTree({});
      const result = await runSetup(folder, home, bin, undefined, { HF_ENDPOINT: hub });
      expect(result.exitCode, result.stderr).toBe(1);
      expect(result.stdout).not.toContain("fake claude");
      expect(result.stdout).not.toContain("Next:");
      const lines = result.stderr.split("\n");
      const failed = lines.findIndex((line) => line.startsWith("mallex: cannot download "));
      expect(failed, result.stderr).toBeGreaterThan(-1);
      const file = /^mallex: cannot download (\S+\.gguf): Hugging Face \(http:\/\/127\.0\.0\.1:\d+\) is not reachable \(connect ECONNREFUSED [\d.:]+\)$/.exec(
        lines[failed]!,
      )?.[1];
      expect(file, lines[failed]).toBeDefined();
      expect(lines[failed + 1]).toMatch(
        new RegExp(
          `^mallex: to fix it, download ${hub}/[^/\\s]+/[^/\\s]+/resolve/main/${file!.replace(/\./g, "\\.")} yourself, then run \`mallex run --embedded <that file>\` \\(this machine's settings, that file as their model\\)$`,
        ),
      );
      // Not wrapped in the server's long key, said once, and short.
      expect(result.stderr).not.toContain("gave up");
      expect(result.stderr.match(/cannot download/g)).toHaveLength(1);
      for (const line of lines.slice(failed, failed + 2)) expect(line.length).toBeLessThan(260);

      // The advice, followed as written with the file downloaded: this machine's settings, served from that file.
      if (!hasSharedDir) return;
      const followed = await runMallex(["run", "--embedded", sharedPath("models", "stories260K-chatml.gguf")], folder, home, bin, { HF_ENDPOINT: hub });
      expect(followed.stderr).toContain(`mallex: config: ${join(home, "mallex.yaml")} (this machine's settings)\n`);
      expect(followed.stdout, followed.stderr).toContain("fake claude: 200");
      expect(followed.exitCode).toBe(0);
    },
    120_000,
  );
});
