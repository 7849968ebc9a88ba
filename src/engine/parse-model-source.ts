/**
 * What a model source string names, in node-llama-cpp's syntax: a local path, a file in a Hugging
 * Face repository (`hf:user/repo/path/file.gguf[#revision]`, or its huggingface.co URL), a
 * repository and quantization tag (`hf:user/repo[:tag]`) or any other http(s) URL. Pure.
 * @see README.md, "The embedded engine" (the sources `--embedded` takes); "Model URIs" in
 *   node-llama-cpp's guide to downloading models.
 */
import { MallexError } from "../shared/mallex-error.js";

export type ModelSource =
  | { kind: "local"; path: string }
  | { kind: "hf-file"; user: string; repo: string; revision: string; file: string; uri: string }
  /** The file is chosen by Hugging Face's manifest for the tag ("latest": Q4_K_M when there is one). */
  | { kind: "hf-tag"; user: string; repo: string; tag: string; uri: string }
  | { kind: "url"; url: string };

export const DEFAULT_REVISION = "main";
const PREFIXES = ["hf://", "huggingface://", "hf:", "huggingface:", "hf.co/", "huggingface.co/"];
const HUB_HOSTS = ["huggingface.co", "hf.co"];
/** Hugging Face user and repository names (letters, digits, `-`, `_`, `.`), never `.` or `..`. */
const NAME = /^(?!\.{1,2}$)[\w.-]+$/;

export function parseModelSource(source: string, hubEndpoint: string): ModelSource {
  const prefix = PREFIXES.find((p) => source.startsWith(p));
  if (prefix !== undefined) return parseHubPath(source.slice(prefix.length), source);
  if (/^https?:\/\//i.test(source)) return parseUrl(source, hubEndpoint);
  return { kind: "local", path: source };
}

function parseUrl(source: string, hubEndpoint: string): ModelSource {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw invalid(source, "it is not a valid URL");
  }
  if (!HUB_HOSTS.includes(url.hostname) && url.host !== new URL(hubEndpoint).host) return { kind: "url", url: url.href };
  const [user, repo, verb, revision, ...file] = url.pathname.split("/").slice(1).map(decodeURIComponent);
  if (verb === undefined) return parseHubPath(`${user ?? ""}/${repo ?? ""}`, source);
  // Hugging Face's page for a file (`blob`) and its download link (`resolve`) name the same file.
  if ((verb !== "resolve" && verb !== "blob") || revision === undefined)
    throw invalid(source, "a Hugging Face URL must name a repository or a file in one (…/resolve/main/file.gguf)");
  return hubFile(user ?? "", repo ?? "", file.join("/"), revision, source);
}

function parseHubPath(path: string, source: string): ModelSource {
  const [user = "", repoAndTag = "", ...file] = path.split("/");
  if (file.length > 0 && !repoAndTag.includes(":")) {
    const [filePath = "", revision = DEFAULT_REVISION] = file.join("/").split("#");
    return hubFile(user, repoAndTag, filePath, revision || DEFAULT_REVISION, source);
  }
  if (file.length > 0) throw invalid(source, "give either a tag (hf:user/repo:Q4_K_M) or a file (hf:user/repo/file.gguf), not both");
  const [repo = "", ...tagParts] = repoAndTag.split(":");
  checkNames(user, repo, source);
  const given = tagParts.join(":").trim();
  const tag = given === "" || given.toLowerCase() === "latest" ? "latest" : given.toUpperCase();
  // The tag names a file under the models folder too (.tags/<tag>).
  if (!NAME.test(tag)) throw invalid(source, `"${given}" is not a quantization tag (like Q4_K_M)`);
  return { kind: "hf-tag", user, repo, tag, uri: `hf:${user}/${repo}${tag === "latest" ? "" : `:${tag}`}` };
}

function hubFile(user: string, repo: string, file: string, revision: string, source: string): ModelSource {
  checkNames(user, repo, source);
  checkRevision(revision, source);
  checkRelativePath(file, source);
  if (!file.toLowerCase().endsWith(".gguf")) throw invalid(source, `${file} is not a .gguf file`);
  const uri = `hf:${user}/${repo}/${file}${revision === DEFAULT_REVISION ? "" : `#${revision}`}`;
  return { kind: "hf-file", user, repo, revision, file, uri };
}

function checkNames(user: string, repo: string, source: string): void {
  if (!NAME.test(user) || !NAME.test(repo)) throw invalid(source, "expected hf:user/repo:quant or hf:user/repo/file.gguf");
}

/**
 * A revision (a branch, a tag, `refs/pr/1`, a commit sha) names a folder under the models folder
 * too: only the characters git refs and shas are made of, and no empty, `.` or `..` segment, so
 * `#..` cannot store a file where another URI's file is expected.
 */
function checkRevision(revision: string, source: string): void {
  if (revision.length > 200 || !/^[\w.\-/]+$/.test(revision) || revision.split("/").some((part) => part === "" || part === "." || part === "..")) {
    throw invalid(source, `"${revision}" is not a revision (a branch, a tag or a commit sha, like main or refs/pr/1)`);
  }
}

/**
 * A path inside the repository, which becomes a path under the models folder: no empty, `.` or
 * `..` segments and no backslashes, so neither a typo nor a hostile manifest can write elsewhere.
 */
export function checkRelativePath(file: string, source: string): void {
  if (file === "" || file.includes("\\") || file.split("/").some((part) => part === "" || part === "." || part === "..")) {
    throw invalid(source, `"${file}" is not a file path inside the repository`);
  }
}

function invalid(source: string, why: string): MallexError {
  return new MallexError("E_MODEL_SOURCE", `${source} is not a model source mallex understands: ${why}`);
}
