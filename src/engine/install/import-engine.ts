import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { MallexError } from "../../shared/mallex-error.js";
import type { FoundEngine } from "../../shared/engine-location.js";

export type NodeLlamaCpp = typeof import("node-llama-cpp");

/**
 * Loads the node-llama-cpp findEngine found, by path: the copy in MALLEX_HOME is not where Node would
 * look from mallex's own files. Its imports (its dependencies, its prebuilt packages) resolve from its
 * own folder, so they come from the same install. Only the engine's processes call this.
 */
export async function importEngine(found: FoundEngine): Promise<NodeLlamaCpp> {
  try {
    // Its package.json `exports` say which file Node loads for it.
    const entry = createRequire(join(found.root, "package.json")).resolve("node-llama-cpp");
    return (await import(pathToFileURL(entry).href)) as NodeLlamaCpp;
  } catch (error) {
    const fix = found.source === "home" ? `remove ${found.root} and run \`mallex engine --install\`` : `reinstall it there (npm install)`;
    throw new MallexError(
      "E_ENGINE",
      `the embedded engine cannot load node-llama-cpp from ${found.packageDir} (${(error as Error).message.split("\n")[0]}): ${fix}, or use another backend (--backend-url).`,
      { cause: error },
    );
  }
}
