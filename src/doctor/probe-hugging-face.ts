import { describeHubStatus } from "../engine/describe-hub-status.js";
import type { DoctorDeps } from "./types.js";

/** What the Hub said of one repository: there, refused (why), or no answer at all. */
export type HubAnswer =
  /** `files`: the repository's file paths (`siblings[].rfilename`), when the answer listed them. */
  { kind: "found"; files?: string[] } | { kind: "refused"; reason: string } | { kind: "unreachable"; reason: string };

/** The Hub's base URL: HF_ENDPOINT, as huggingface_hub (mlx-lm's downloads) and the embedded engine read it. */
export function huggingFaceEndpoint(env: DoctorDeps["env"]): string {
  return (env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, "");
}

/**
 * Asks the Hub's model API for a repository (huggingface_hub's `HfApi.model_info`: GET
 * `{endpoint}/api/models/{repo_id}`, 200 with its JSON, `siblings` listing the files; a missing or
 * private one is a 401/404 with `X-Error-Code`). Through deps.fetch and HF_ENDPOINT, so tests point
 * it at a fake Hub.
 * @see test/fakes/fake-hugging-face.ts, the fake Hub the tests answer it with; the endpoint is
 *   `GET /api/models/{repo_id}` (or `…/revision/{revision}`) of Hugging Face's Hub API.
 */
export async function probeHuggingFace(repo: string, deps: Pick<DoctorDeps, "env" | "fetch">, timeoutMs: number): Promise<HubAnswer> {
  const token = deps.env.HF_TOKEN;
  const url = `${huggingFaceEndpoint(deps.env)}/api/models/${repo.split("/").map(encodeURIComponent).join("/")}`;
  let response: Response;
  let text: string;
  try {
    response = await deps.fetch(url, {
      headers: { Accept: "application/json", "User-Agent": "mallex", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    const err = error as Error & { cause?: { code?: string; message?: string } };
    if (err.name === "TimeoutError" || err.name === "AbortError") return { kind: "unreachable", reason: `no answer in ${timeoutMs / 1000} s` };
    return { kind: "unreachable", reason: err.cause?.message ?? err.cause?.code ?? err.message };
  }
  if (response.ok) {
    const files = siblings(text);
    return { kind: "found", ...(files ? { files } : {}) };
  }
  return { kind: "refused", reason: describeHubStatus(response, { repo, withToken: token !== undefined }) };
}

function siblings(text: string): string[] | undefined {
  try {
    const list = (JSON.parse(text) as { siblings?: unknown } | null)?.siblings;
    return Array.isArray(list) ? list.map((entry) => String((entry as { rfilename?: unknown } | null)?.rfilename ?? "")) : undefined;
  } catch {
    return undefined;
  }
}
