import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "./helpers/config-tree.js";

/**
 * `mallex run` installed where no Claude Code is: a copy of the built package (bin/, dist/ and
 * package.json; the rest, and node_modules/ajv, linked) with no node_modules/.bin/claude beside it, and a PATH holding node
 * (and npx, where a case gives it) and nothing else. Runs the built CLI: `npm test` builds first.
 */
const TESTED = (JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies[
  "@anthropic-ai/claude-code"
]!;

let install: string;
beforeAll(() => {
  install = mkdtempSync(join(tmpdir(), "mallex-install-"));
  for (const copied of ["bin", "dist", "package.json"]) cpSync(join(packageRoot, copied), join(install, copied), { recursive: true });
  for (const linked of ["generated", "schema", "templates", "mallex.yaml"]) symlinkSync(join(packageRoot, linked), join(install, linked));
  // The one dependency the CLI bundle loads from node_modules when a proxy starts (as npm installs it; its own dependencies resolve from where it really is).
  mkdirSync(join(install, "node_modules"));
  symlinkSync(realpathSync(join(packageRoot, "node_modules", "ajv")), join(install, "node_modules", "ajv"));
});

/** A folder for PATH with only these programs in it. */
function binWith(programs: Record<string, string>): string {
  const bin = mkdtempSync(join(tmpdir(), "mallex-path-"));
  for (const [name, target] of Object.entries(programs)) symlinkSync(realpathSync(target), join(bin, name));
  return bin;
}

function runWithout(bin: string, env: Record<string, string> = {}) {
  const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
  mkdirSync(join(home, "cwd"));
  return execa("node", [join(install, "bin", "mallex.js"), "run", "--backend-url", "http://127.0.0.1:9/v1", "--", "-p", "hi"], {
    cwd: join(home, "cwd"),
    reject: false,
    stdin: "ignore",
    extendEnv: false,
    timeout: 60_000,
    env: { PATH: bin, HOME: home, MALLEX_HOME: home, LANG: "C.UTF-8", ...env },
  });
}

describe("mallex run with no `claude` anywhere", () => {
  it("no npx either: mallex's own sentence naming the tested release, exit 1", async () => {
    const result = await runWithout(binWith({ node: process.execPath }));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.split("\n")).toEqual([
      expect.stringMatching(/^mallex: dashboard: http:\/\/127\.0\.0\.1:\d+\/ui#token=mallex-[0-9a-f]{32}$/),
      expect.stringMatching(/^mallex: config: \S+ \(mallex's default\)$/),
      `mallex: no \`claude\` on PATH: fetching Claude Code ${TESTED} (the release mallex is tested with) through npx; \`npm install -g @anthropic-ai/claude-code@${TESTED}\` installs it for good`,
      `mallex: Claude Code is not installed (no \`claude\` on PATH) and npx could not fetch @anthropic-ai/claude-code@${TESTED}: there is no npx on PATH either. Install it: npm install -g @anthropic-ai/claude-code@${TESTED}`,
    ]);
  });

  it("npx cannot reach its registry: npx was asked for the pinned release, and npm's reason is in mallex's sentence", async () => {
    const npx = (await execa("sh", ["-c", "command -v npx"], { reject: false })).stdout.trim();
    if (npx === "") return expect.fail("npx not found on this machine's PATH");
    const cache = mkdtempSync(join(tmpdir(), "npm-cache-"));
    // A registry nobody listens on and an empty cache: npx has to fetch, and cannot.
    const result = await runWithout(binWith({ node: process.execPath, npx }), {
      npm_config_registry: "http://127.0.0.1:9/",
      npm_config_cache: cache,
      npm_config_fetch_retries: "0",
      npm_config_update_notifier: "false",
    });
    expect(result.exitCode).toBe(1);
    const lines = result.stderr
      .split("\n")
      .filter((line) => line.startsWith("mallex:") && !line.startsWith("mallex: dashboard: ") && !line.startsWith("mallex: config: "));
    expect(lines[1]).toMatch(
      new RegExp(
        `^mallex: Claude Code is not installed \\(no \`claude\` on PATH\\) and npx could not fetch @anthropic-ai/claude-code@${TESTED.replace(/\./g, "\\.")}: FetchError: request to http://127\\.0\\.0\\.1:9/@anthropic-ai%2fclaude-code failed, reason: connect ECONNREFUSED 127\\.0\\.0\\.1:9\\. Install it: npm install -g @anthropic-ai/claude-code@`,
      ),
    );
    // Nothing of npm's own but its warnings reaches the terminal: the failure is said once, by mallex.
    expect(result.stderr).not.toMatch(/^npm error/m);
  });
});
