import { join } from "node:path";
import { DEFAULT_REVISION, parseModelSource, type ModelSource } from "../engine/parse-model-source.js";
import type { DoctorDeps } from "./types.js";

/** An embedded profile's model that the engine downloads: where it lands, and the Hub repository it comes from. */
export interface RemoteModel {
  /** The file the engine loads once downloaded; undefined: not known without the network (a tag never resolved here). */
  localPath?: string;
  /** `user/repo` on Hugging Face; undefined for a plain URL. */
  repo?: string;
  /** The file's path in the repository, when known (a file URI, a tag resolved before). */
  file?: string;
}

/**
 * Where the embedded engine keeps an `hf:` URI's or URL's download, found without the network:
 * the layout of src/engine/resolve-model-source.ts (`<models>/hf/<user>/<repo>/<revision>/<path>`,
 * a tag's file named in `.tags/<tag>` once resolved, `<models>/url/<host>/<path>`). undefined for
 * a local path.
 */
export function downloadedModelPath(model: string, deps: Pick<DoctorDeps, "env" | "mallexHome" | "readText">): RemoteModel | undefined {
  let source: ModelSource;
  try {
    source = parseModelSource(model.trim(), deps.env.HF_ENDPOINT ?? "https://huggingface.co");
  } catch {
    return undefined; // the config check reports a source mallex does not understand
  }
  const modelsDir = join(deps.mallexHome, "models");
  switch (source.kind) {
    case "local":
      return undefined;
    case "url": {
      const url = new URL(source.url);
      return {
        localPath: join(
          modelsDir,
          "url",
          safeName(url.host),
          ...url.pathname
            .split("/")
            .filter(Boolean)
            .map((part) => safeName(decodeURIComponent(part))),
        ),
      };
    }
    case "hf-file":
      return {
        localPath: join(modelsDir, "hf", source.user, source.repo, encodeURIComponent(source.revision), ...source.file.split("/")),
        repo: `${source.user}/${source.repo}`,
        file: source.file,
      };
    case "hf-tag": {
      const repoDir = join(modelsDir, "hf", source.user, source.repo, encodeURIComponent(DEFAULT_REVISION));
      const file = deps.readText(join(repoDir, ".tags", source.tag))?.trim();
      return { ...(file ? { localPath: join(repoDir, ...file.split("/")), file } : {}), repo: `${source.user}/${source.repo}` };
    }
  }
}

/** As resolve-model-source.ts names a URL's path segments on disk. */
function safeName(part: string): string {
  const name = part.replace(/[^\w.-]/g, "_");
  return name === "." || name === ".." || name === "" ? "_" : name;
}
