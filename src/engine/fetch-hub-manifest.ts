/**
 * Which file `hf:user/repo:tag` means, asked of the Hub's Ollama-compatible manifest endpoint as
 * node-llama-cpp and llama.cpp ask it: only a `User-Agent: llama-cpp` request gets the `ggufFile`
 * field (the repository path of the GGUF, the first part of a split one). "latest" is Q4_K_M when
 * the repository has it, else the Hub's pick. An unknown tag is a 400 with `{"error": "…"}`.
 */
import { MallexError } from "../shared/mallex-error.js";
import { describeHubStatus } from "./describe-hub-status.js";
import { fetchOrUnreachable } from "./fetch-or-unreachable.js";
import { checkRelativePath } from "./parse-model-source.js";

export interface HubManifestRequest {
  endpoint: string;
  user: string;
  repo: string;
  tag: string;
  uri: string;
  headers: Record<string, string>;
  signal?: AbortSignal;
}

/** Returns the repository path of the GGUF the tag names. */
export async function fetchHubManifest(request: HubManifestRequest): Promise<string> {
  const { endpoint, user, repo, tag, uri } = request;
  const url = `${endpoint}/v2/${encodeURIComponent(user)}/${encodeURIComponent(repo)}/manifests/${encodeURIComponent(tag)}`;
  const response = await fetchOrUnreachable(url, {
    headers: { ...request.headers, Accept: "application/json", "User-Agent": "llama-cpp" },
    ...(request.signal ? { signal: request.signal } : {}),
  });
  const body = await response.text();
  if (response.status === 400 || (response.status === 404 && !response.headers.get("x-error-code"))) {
    const said = errorText(body);
    throw new MallexError(
      "E_MODEL_SOURCE",
      `${uri}: ${user}/${repo} has no quantization ${tag}${said ? ` (Hugging Face: ${said})` : ""}; pick another tag, or name the file: hf:${user}/${repo}/<file>.gguf`,
    );
  }
  if (!response.ok) {
    const reason = describeHubStatus(response, { repo: `${user}/${repo}`, withToken: "Authorization" in request.headers });
    throw new MallexError("E_MODEL_SOURCE", `cannot resolve ${uri}: ${reason}`);
  }
  const file = rfilename(body);
  if (file === undefined)
    throw new MallexError(
      "E_MODEL_SOURCE",
      `cannot resolve ${uri}: Hugging Face's manifest names no GGUF file; name the file instead: hf:${user}/${repo}/<file>.gguf`,
    );
  checkRelativePath(file, uri);
  return file;
}

function rfilename(body: string): string | undefined {
  try {
    const file = (JSON.parse(body) as { ggufFile?: { rfilename?: unknown } } | null)?.ggufFile?.rfilename;
    return typeof file === "string" ? file : undefined;
  } catch {
    return undefined;
  }
}

function errorText(body: string): string | undefined {
  try {
    const error = (JSON.parse(body) as { error?: unknown } | null)?.error;
    return typeof error === "string" ? error : undefined;
  } catch {
    return undefined;
  }
}
