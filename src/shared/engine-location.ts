import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * Where the embedded engine's node-llama-cpp is, read from files alone: the engine loads it from
 * there, its install (engine/install/) puts it there, and the supervisor names it in the command that
 * builds it from source after a GPU failure (gpu-fallback.ts) — none of them loads it to find it.
 */

/**
 * The node-llama-cpp mallex runs. It is not one of mallex's npm dependencies: npm would install every
 * one of its optional prebuilt packages that claims this platform — on Linux x64 the CPU, CUDA, CUDA
 * "ext" and Vulkan builds and two ARM ones (677 MB), on a machine that may have no GPU at all. mallex
 * installs it on first use into MALLEX_HOME with the binaries this machine can run
 * (engine/install/ensure-engine.ts). test/unit/prebuilt-packages.test.ts keeps it equal to
 * package.json's devDependency.
 */
export const NODE_LLAMA_CPP_VERSION = "3.21.1";

/** The file an install writes last (engine/install/install-engine.ts): a folder without it is not a whole install. */
export const ENGINE_MARKER = "mallex-engine.json";

export interface EngineMarker {
  nodeLlamaCpp: string;
  /** The prebuilt packages it was installed with. */
  packages: string[];
}

export interface FoundEngine {
  /** The folder whose node_modules holds node-llama-cpp (the project, or mallex's engine folder). */
  root: string;
  /** node_modules/node-llama-cpp in it. */
  packageDir: string;
  /**
   * `beside`: node-llama-cpp installed next to mallex (a development checkout, whose devDependency
   * it is, or `npm install mallex node-llama-cpp@VERSION`), used as npm left it. `home`: the copy
   * mallex installed in MALLEX_HOME/engine.
   */
  source: "beside" | "home";
  /** The @node-llama-cpp/* packages of node-llama-cpp's own version that it can load from there. */
  binaries: string[];
}

export interface EngineSearch {
  found: FoundEngine | undefined;
  /** node-llama-cpp beside mallex at another version: not used (mallex runs the one it was tested with). */
  otherVersion?: { packageDir: string; version: string };
}

/** MALLEX_HOME/engine/node-llama-cpp-3.21.1: one folder per version, so a newer mallex never half-replaces an older one's. */
export function engineDir(mallexHome: string): string {
  return join(mallexHome, "engine", `node-llama-cpp-${NODE_LLAMA_CPP_VERSION}`);
}

/**
 * node-llama-cpp as the engine will load it, found with file reads only (the proxy never loads it):
 * the copy Node resolves from mallex's own folder when it is NODE_LLAMA_CPP_VERSION, else the one
 * mallex installed in MALLEX_HOME (when its install finished). Node looks for a package in every
 * node_modules from the importing file up to the root, and so does this; node-llama-cpp finds its
 * prebuilt packages the same way from its own folder, which is why they are listed from there.
 */
export function findEngine(packageRoot: string, mallexHome: string): EngineSearch {
  let otherVersion: EngineSearch["otherVersion"];
  for (let dir = packageRoot; ; dir = dirname(dir)) {
    const packageDir = join(dir, "node_modules", "node-llama-cpp");
    const version = readVersion(packageDir);
    if (version === NODE_LLAMA_CPP_VERSION) return { found: { root: dir, packageDir, source: "beside", binaries: listBinaries(dirname(packageDir)) } };
    // Node stops at the first copy it finds: one further up is never the one imported.
    if (version !== undefined) {
      otherVersion = { packageDir, version };
      break;
    }
    if (dirname(dir) === dir) break;
  }
  const home = engineDir(mallexHome);
  const marker = readMarker(home);
  const packageDir = join(home, "node_modules", "node-llama-cpp");
  const found =
    marker?.nodeLlamaCpp === NODE_LLAMA_CPP_VERSION && readVersion(packageDir) === NODE_LLAMA_CPP_VERSION
      ? { root: home, packageDir, source: "home" as const, binaries: listBinaries(join(home, "node_modules")) }
      : undefined;
  return { found, ...(otherVersion ? { otherVersion } : {}) };
}

export function readMarker(dir: string): EngineMarker | undefined {
  try {
    const marker = JSON.parse(readFileSync(join(dir, ENGINE_MARKER), "utf8")) as Partial<EngineMarker>;
    return typeof marker.nodeLlamaCpp === "string" && Array.isArray(marker.packages)
      ? { nodeLlamaCpp: marker.nodeLlamaCpp, packages: marker.packages.map(String) }
      : undefined;
  } catch {
    // No marker (never installed, or an install that did not finish): not installed.
    return undefined;
  }
}

function readVersion(packageDir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** node-llama-cpp ignores a prebuilt package of another version than its own (getBinariesPathFromModules). */
function listBinaries(nodeModules: string): string[] {
  const scope = join(nodeModules, "@node-llama-cpp");
  if (!existsSync(scope)) return [];
  return readdirSync(scope)
    .map((name) => `@node-llama-cpp/${name}`)
    .filter((name) => readVersion(join(nodeModules, name)) === NODE_LLAMA_CPP_VERSION)
    .sort();
}

/**
 * The words that run the engine's node-llama-cpp CLI from any folder (`npm exec --prefix ROOT --
 * node-llama-cpp`): a source build it makes goes into that copy's llama/localBuilds, where the engine
 * looks first. Not found (not installed yet): where mallex will install it.
 */
export function nodeLlamaCppCommand(found: FoundEngine | undefined, mallexHome: string): string {
  const root = found?.root ?? engineDir(mallexHome);
  return `npm exec --prefix ${/^[\w@%+=:,./-]+$/.test(root) ? root : `"${root.replace(/(["\\$`])/g, "\\$1")}"`} -- node-llama-cpp`;
}
