import { cpSync, existsSync, mkdtempSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { packageRoot } from "./helpers/config-tree.js";

/**
 * `mallex engine --install` as a user's install runs it: the built CLI copied without node_modules
 * (the bundle holds every dependency it loads), so no node-llama-cpp is found beside it and mallex
 * installs its own with the real npm — here against a registry nothing listens on, as on a machine
 * that is offline. `npm test` builds first.
 */
function installedMallex(): string {
  const dir = mkdtempSync(join(tmpdir(), "mallex-installed-"));
  for (const path of ["bin", "dist/cli", "package.json"]) cpSync(join(packageRoot, path), join(dir, path), { recursive: true });
  return dir;
}

function runEngine(mallex: string, args: string[], path = process.env.PATH ?? "") {
  const home = mkdtempSync(join(tmpdir(), "mallex-user-"));
  const mallexHome = join(home, "state");
  const result = execa("node", [join(mallex, "bin", "mallex.js"), "engine", ...args], {
    reject: false,
    stdin: "ignore",
    timeout: 60_000,
    extendEnv: false,
    // Port 9 (discard) refuses at once; an empty cache has nothing to fall back on; HOME keeps the user's .npmrc out.
    env: {
      PATH: path,
      HOME: home,
      MALLEX_HOME: mallexHome,
      LANG: "C.UTF-8",
      npm_config_registry: "http://127.0.0.1:9/",
      npm_config_cache: join(home, "npm-cache"),
      npm_config_update_notifier: "false",
    },
  });
  return { result, mallexHome };
}

describe("mallex engine --install from an install without node-llama-cpp", () => {
  const mallex = installedMallex();

  it("offline: two lines on stderr, what failed and what to do, no stack; exit 1, in about a second, and nothing left in MALLEX_HOME/engine", async () => {
    const started = Date.now();
    const { result, mallexHome } = runEngine(mallex, ["--install"]);
    const { exitCode, stderr, stdout } = await result;
    expect(exitCode, stderr).toBe(1);
    expect(stdout).toBe("");
    const target = join(mallexHome, "engine", "node-llama-cpp-3.21.1");
    expect(stderr.split("\n")).toEqual([
      `mallex: cannot install the embedded engine (node-llama-cpp 3.21.1 and @node-llama-cpp/${process.platform === "linux" ? "linux" : process.platform === "win32" ? "win" : "mac"}-${process.arch}${process.platform === "darwin" && process.arch === "arm64" ? "-metal" : ""}) into ${target}: npm could not reach http://127.0.0.1:9/node-llama-cpp (connect ECONNREFUSED 127.0.0.1:9).`,
      "Connect this machine to the network (or set npm's registry or proxy: `npm config get registry`) and run `mallex engine --install`, or use a model server that is already running (--backend-url).",
    ]);
    // npm would retry an unreachable registry for about 70 s before failing; the first question is asked without retries.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(existsSync(join(mallexHome, "engine")) ? readdirSync(join(mallexHome, "engine")) : []).toEqual([]);
  });

  it("an engine started by hand installs the same way, and fails the same way", async () => {
    const { result } = runEngine(mallex, ["--model", "/nowhere/model.gguf", "--port", "0"]);
    const { exitCode, stderr } = await result;
    expect(exitCode).toBe(1);
    expect(stderr.split("\n")).toHaveLength(2);
    expect(stderr).toMatch(/^mallex: cannot install the embedded engine .*npm could not reach/);
  });

  it("no npm on PATH: said in two lines", async () => {
    const bin = mkdtempSync(join(tmpdir(), "mallex-bin-"));
    symlinkSync(process.execPath, join(bin, "node"));
    const { exitCode, stderr } = await runEngine(mallex, ["--install"], bin).result;
    expect(exitCode).toBe(1);
    expect(stderr.split("\n")).toEqual([
      expect.stringMatching(/^mallex: cannot install the embedded engine \(node-llama-cpp 3\.21\.1 and @node-llama-cpp\/\S+\) into \S+: npm is not on PATH\.$/),
      "Put npm (it comes with Node.js) on PATH and run `mallex engine --install`, or use a model server that is already running (--backend-url).",
    ]);
  });

  it("usage: --model is needed but with --install; --install takes no :local backend", async () => {
    const missing = await runEngine(mallex, []).result;
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toBe("mallex engine: --model is required (a GGUF file or an hf: URI), unless --install");
    const local = await runEngine(mallex, ["--install", "--gpu-backends", "cuda:local"]).result;
    expect(local.exitCode).toBe(2);
    expect(local.stderr).toMatch(/a :local backend is a source build, which mallex does not install/);
  });
});
