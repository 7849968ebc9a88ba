import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { runEngineInstall } from "../../src/cli/engine-install.js";
import { ensureEngine, type EnsureEngineDeps } from "../../src/engine/install/ensure-engine.js";
import { engineDir, findEngine } from "../../src/shared/engine-location.js";
import { missingGpuBinaries } from "../../src/engine/install/missing-gpu-binaries.js";
import { watchInstallProgress } from "../../src/engine/install/watch-install-progress.js";
import type { NpmResult, RunNpm } from "../../src/engine/install/run-npm.js";
import type { GpuName } from "../../src/shared/gpu-steps.js";
import { MallexError } from "../../src/shared/mallex-error.js";

/**
 * The engine's node-llama-cpp installed on first use, with npm faked at its seam: a fake that does
 * what `npm install` does to the folder (each dependency of its package.json in node_modules, with
 * some bytes) or fails the way npm prints it. The folders are real.
 */
const OFFLINE: NpmResult = {
  exitCode: 1,
  stdout: "",
  stderr: `npm error code ENOTFOUND
npm error syscall getaddrinfo
npm error errno ENOTFOUND
npm error network request to https://registry.npmjs.org/node-llama-cpp failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org
npm error network This is a problem related to network connectivity.
npm error A complete log of this run can be found in: /home/u/.npm/_logs/x-debug-0.log
`,
};

function fakeNpm(fail: (args: readonly string[], call: number) => NpmResult | undefined = () => undefined) {
  const calls: Array<{ command: string; packages: string[] }> = [];
  const runNpm: RunNpm = async (args, { cwd }) => {
    const prefix = args[args.indexOf("--prefix") + 1]!;
    expect(prefix).toBe(cwd);
    const manifest = JSON.parse(readFileSync(join(prefix, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    calls.push({ command: args[0]!, packages: Object.keys(manifest.dependencies) });
    const failure = fail(args, calls.length);
    if (failure) return failure;
    if (args[0] === "install") {
      // What the engine's installs must always ask of npm.
      expect(args).toEqual(expect.arrayContaining(["--omit=optional", "--ignore-scripts", "--global=false"]));
      for (const [name, version] of Object.entries(manifest.dependencies)) {
        const dir = join(prefix, "node_modules", name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version }));
        writeFileSync(join(dir, "payload.bin"), Buffer.alloc(1000));
      }
    }
    return { exitCode: 0, stdout: "3.21.1\n", stderr: "" };
  };
  return { runNpm, calls };
}

function machine(
  options: { gpus?: GpuName[]; npm?: ReturnType<typeof fakeNpm>; platform?: NodeJS.Platform; arch?: string; detect?: () => Promise<GpuName[]> } = {},
) {
  const npm = options.npm ?? fakeNpm();
  const detected: string[] = [];
  const deps: EnsureEngineDeps = {
    runNpm: npm.runNpm,
    now: Date.now,
    platform: options.platform ?? "linux",
    arch: options.arch ?? "x64",
    detectGpus: async (root) => {
      detected.push(root);
      return options.detect ? options.detect() : (options.gpus ?? []);
    },
  };
  // No node-llama-cpp beside this "mallex": a folder of its own under the OS temp folder.
  const packageRoot = mkdtempSync(join(tmpdir(), "mallex-package-"));
  const mallexHome = join(mkdtempSync(join(tmpdir(), "mallex-home-")), "home");
  const lines: string[] = [];
  return { deps, npm, detected, packageRoot, mallexHome, lines, options: { packageRoot, mallexHome, print: (line: string) => lines.push(line) } };
}

const installs = (m: ReturnType<typeof machine>) => m.npm.calls.filter((call) => call.command === "install").map((call) => call.packages.join(" "));
const leftovers = (m: ReturnType<typeof machine>) => readdirSync(dirname(engineDir(m.mallexHome))).filter((name) => name.startsWith("."));

describe("ensureEngine: node-llama-cpp for this machine, installed on first use", () => {
  it("without a GPU: node-llama-cpp and the CPU's binary alone, into MALLEX_HOME, said with progress; the next start installs nothing", async () => {
    const m = machine();
    const { found } = await ensureEngine(m.options, m.deps);
    expect(found).toMatchObject({ source: "home", root: engineDir(m.mallexHome), binaries: ["@node-llama-cpp/linux-x64"] });
    expect(m.npm.calls.map((call) => call.command)).toEqual(["view", "install"]);
    expect(installs(m)).toEqual(["node-llama-cpp @node-llama-cpp/linux-x64"]);
    expect(m.detected).toEqual([engineDir(m.mallexHome)]);
    expect(m.lines[0]).toBe(`mallex: installing node-llama-cpp 3.21.1 for the CPU from npm into ${engineDir(m.mallexHome)}`);
    expect(m.lines.at(-1)).toMatch(/^mallex: installed node-llama-cpp 3\.21\.1 for the CPU in \d+ s \(2\.\d+kB\)$/);
    expect(leftovers(m)).toEqual([]);

    const again = machine({ npm: m.npm });
    await ensureEngine({ ...again.options, packageRoot: m.packageRoot, mallexHome: m.mallexHome }, again.deps);
    expect(m.npm.calls).toHaveLength(2);
    expect(again.detected).toEqual([]);
  });

  it("with CUDA and Vulkan found: their binaries fetched after the CPU's, the CPU's kept", async () => {
    const m = machine({ gpus: ["cuda", "vulkan"] });
    const { found, gpuError } = await ensureEngine(m.options, m.deps);
    expect(gpuError).toBeUndefined();
    expect(installs(m)).toEqual([
      "node-llama-cpp @node-llama-cpp/linux-x64",
      "node-llama-cpp @node-llama-cpp/linux-x64 @node-llama-cpp/linux-x64-cuda @node-llama-cpp/linux-x64-cuda-ext @node-llama-cpp/linux-x64-vulkan",
    ]);
    expect(found.binaries).toEqual([
      "@node-llama-cpp/linux-x64",
      "@node-llama-cpp/linux-x64-cuda",
      "@node-llama-cpp/linux-x64-cuda-ext",
      "@node-llama-cpp/linux-x64-vulkan",
    ]);
    expect(m.lines).toContain(`mallex: installing node-llama-cpp 3.21.1's CUDA and Vulkan binaries from npm into ${engineDir(m.mallexHome)}`);
    expect(leftovers(m)).toEqual([]);
  });

  it("an Apple chip: the one Metal package, nothing more to fetch", async () => {
    const m = machine({ platform: "darwin", arch: "arm64", gpus: ["metal"] });
    await ensureEngine(m.options, m.deps);
    expect(installs(m)).toEqual(["node-llama-cpp @node-llama-cpp/mac-arm64-metal"]);
  });

  it("offline: two lines, what failed and what to do, within the one quick question npm is asked; nothing left behind", async () => {
    const m = machine({ npm: fakeNpm(() => OFFLINE) });
    const error = await ensureEngine(m.options, m.deps).catch((e: unknown) => e);
    expect(MallexError.isInstance(error)).toBe(true);
    expect((error as MallexError).code).toBe("E_ENGINE_INSTALL");
    expect((error as MallexError).message.split("\n")).toEqual([
      `mallex: cannot install the embedded engine (node-llama-cpp 3.21.1 and @node-llama-cpp/linux-x64) into ${engineDir(m.mallexHome)}: npm could not reach https://registry.npmjs.org/node-llama-cpp (getaddrinfo ENOTFOUND registry.npmjs.org).`,
      "Connect this machine to the network (or set npm's registry or proxy: `npm config get registry`) and run `mallex engine --install`, or use a model server that is already running (--backend-url).",
    ]);
    // Asked without retries, which npm would spend about 70 s on before saying so.
    expect(m.npm.calls.map((call) => call.command)).toEqual(["view"]);
    expect(leftovers(m)).toEqual([]);
    expect(findEngine(m.packageRoot, m.mallexHome).found).toBeUndefined();
  });

  it("the GPU's binaries failing to come: the CPU's stay in place, and the failure is said in two lines", async () => {
    const m = machine({ gpus: ["cuda"], npm: fakeNpm((args, call) => (args[0] === "install" && call > 2 ? OFFLINE : undefined)) });
    const { found, gpuError } = await ensureEngine(m.options, m.deps);
    expect(found.binaries).toEqual(["@node-llama-cpp/linux-x64"]);
    expect(gpuError?.message.split("\n")).toEqual([
      `mallex: cannot install the embedded engine (node-llama-cpp 3.21.1 and @node-llama-cpp/linux-x64, @node-llama-cpp/linux-x64-cuda, @node-llama-cpp/linux-x64-cuda-ext) into ${engineDir(m.mallexHome)}: npm could not reach https://registry.npmjs.org/node-llama-cpp (getaddrinfo ENOTFOUND registry.npmjs.org). The engine runs on the CPU until then.`,
      "Connect this machine to the network (or set npm's registry or proxy: `npm config get registry`) and run `mallex engine --install`, or use a model server that is already running (--backend-url).",
    ]);
    expect(findEngine(m.packageRoot, m.mallexHome).found?.binaries).toEqual(["@node-llama-cpp/linux-x64"]);
    expect(leftovers(m)).toEqual([]);
  });

  it("node-llama-cpp that cannot tell its GPUs: the CPU's binary installed, and how to name the GPU", async () => {
    const m = machine({ detect: () => Promise.reject(new Error("node-llama-cpp could not say which GPUs this machine has: boom")) });
    const { found, gpuError } = await ensureEngine(m.options, m.deps);
    expect(found.binaries).toEqual(["@node-llama-cpp/linux-x64"]);
    expect(gpuError?.message.split("\n")).toEqual([
      "mallex: node-llama-cpp could not say which GPUs this machine has: boom, so no GPU binary was installed: the engine runs on the CPU.",
      "Name the GPU to install for (`mallex engine --install --gpu-backends cuda`), or leave it on the CPU.",
    ]);
  });

  it("a copy beside mallex at its version is used as npm left it; one at another version is passed over, and said", async () => {
    const beside = machine();
    mkdirSync(join(beside.packageRoot, "node_modules", "node-llama-cpp"), { recursive: true });
    writeFileSync(join(beside.packageRoot, "node_modules", "node-llama-cpp", "package.json"), JSON.stringify({ version: "3.21.1" }));
    expect((await ensureEngine(beside.options, beside.deps)).found).toMatchObject({ source: "beside", root: beside.packageRoot });
    expect(beside.npm.calls).toEqual([]);

    const other = machine();
    mkdirSync(join(other.packageRoot, "node_modules", "node-llama-cpp"), { recursive: true });
    writeFileSync(join(other.packageRoot, "node_modules", "node-llama-cpp", "package.json"), JSON.stringify({ version: "3.20.0" }));
    expect((await ensureEngine(other.options, other.deps)).found.source).toBe("home");
    expect(other.lines[0]).toBe(
      `mallex: node-llama-cpp 3.20.0 beside mallex (${join(other.packageRoot, "node_modules", "node-llama-cpp")}) is not the version mallex runs (3.21.1): the engine gets its own copy`,
    );
  });

  it("a platform node-llama-cpp publishes no binary for: refused before npm is asked", async () => {
    const m = machine({ platform: "freebsd" });
    await expect(ensureEngine(m.options, m.deps)).rejects.toThrow(
      "mallex: node-llama-cpp has no prebuilt llama.cpp binary for freebsd-x64, and the embedded engine never compiles one.\nUse a model server that runs here, started by mallex (--server-command) or already running (--backend-url).",
    );
    expect(m.npm.calls).toEqual([]);
  });
});

describe("mallex engine --install", () => {
  it("installs, then says what the engine has; run again with a GPU found since, adds that GPU's binaries", async () => {
    const m = machine();
    await runEngineInstall(m.options, m.deps);
    expect(m.lines.at(-1)).toBe(
      `mallex: the embedded engine has node-llama-cpp 3.21.1 in ${engineDir(m.mallexHome)}; binaries for the CPU (@node-llama-cpp/linux-x64)`,
    );
    const later = machine({ gpus: ["vulkan"], npm: m.npm });
    await runEngineInstall({ ...later.options, packageRoot: m.packageRoot, mallexHome: m.mallexHome }, later.deps);
    expect(installs(m).at(-1)).toBe("node-llama-cpp @node-llama-cpp/linux-x64 @node-llama-cpp/linux-x64-vulkan");
    expect(later.lines.at(-1)).toBe(
      `mallex: the embedded engine has node-llama-cpp 3.21.1 in ${engineDir(m.mallexHome)}; binaries for the CPU and Vulkan (@node-llama-cpp/linux-x64, @node-llama-cpp/linux-x64-vulkan)`,
    );
  });

  it("--gpu-backends names the GPUs instead of asking node-llama-cpp; a :local one is refused; a GPU install that fails fails the command", async () => {
    const m = machine();
    await runEngineInstall({ ...m.options, backends: [{ gpu: "cuda", localOnly: false }, { gpu: false }] }, m.deps);
    expect(m.detected).toEqual([]);
    expect(installs(m).at(-1)).toBe("node-llama-cpp @node-llama-cpp/linux-x64 @node-llama-cpp/linux-x64-cuda @node-llama-cpp/linux-x64-cuda-ext");
    await expect(runEngineInstall({ ...m.options, backends: [{ gpu: "cuda", localOnly: true }] }, m.deps)).rejects.toThrow(
      /a :local backend is a source build, which mallex does not install/,
    );

    const failing = machine({ gpus: ["cuda"], npm: fakeNpm((args, call) => (args[0] === "install" && call > 2 ? OFFLINE : undefined)) });
    await expect(runEngineInstall(failing.options, failing.deps)).rejects.toThrow(/The engine runs on the CPU until then\.\nConnect this machine/);
  });
});

describe("watchInstallProgress: npm's download, measured as it lands", () => {
  it("a line each time the folder has grown, none while it has not; stopping gives the final size", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "mallex-install-")), "node_modules");
    const lines: string[] = [];
    let clock = 0;
    const stop = watchInstallProgress({
      dir,
      label: "node-llama-cpp 3.21.1 for CUDA",
      print: (line) => lines.push(line),
      everyMs: 10,
      now: () => (clock += 1000),
    });
    const grow = async (bytes: number) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `part-${bytes}`), Buffer.alloc(bytes));
      await new Promise((resolve) => setTimeout(resolve, 60));
    };
    await new Promise((resolve) => setTimeout(resolve, 40));
    await grow(1_500_000);
    await grow(2_000_000);
    expect(await stop()).toBe(3_500_000);
    expect(lines[0]).toMatch(/^mallex: installing node-llama-cpp 3\.21\.1 for CUDA: 1\.50MB so far, \d+:\d\d$/);
    expect(lines.at(-1)).toMatch(/: 3\.50MB so far, /);
    // The folder's size, not the clock, makes a line.
    expect(new Set(lines.map((line) => line.replace(/, \d+:\d\d$/, ""))).size).toBe(lines.length);
  });
});

describe("missingGpuBinaries: an engine's start line for a GPU it cannot use", () => {
  const home = {
    root: "/h/engine/node-llama-cpp-3.21.1",
    packageDir: "/h/engine/node-llama-cpp-3.21.1/node_modules/node-llama-cpp",
    source: "home" as const,
    binaries: ["@node-llama-cpp/linux-x64"],
  };
  it("names the GPU node-llama-cpp finds and the command that fetches its binaries; nothing when all are there or the copy is not mallex's", () => {
    expect(missingGpuBinaries(home, ["cuda", false], "linux", "x64")).toBe(
      "node-llama-cpp finds CUDA here, but its CUDA binaries are not installed, so the engine cannot use it: `mallex engine --install` fetches them (@node-llama-cpp/linux-x64-cuda, @node-llama-cpp/linux-x64-cuda-ext)",
    );
    expect(missingGpuBinaries(home, [false], "linux", "x64")).toBeUndefined();
    expect(missingGpuBinaries({ ...home, source: "beside" }, ["cuda", false], "linux", "x64")).toBeUndefined();
  });
});
