/**
 * Why Hugging Face refused a request, from its status and `X-Error-Code` header (the codes
 * huggingface_hub's hf_raise_for_status reads). A 401 without a token means "private, gated or
 * missing": the Hub does not say which to someone not logged in.
 * @see test/fakes/fake-hugging-face.ts, which answers with those codes; `hf_raise_for_status` in the
 *   huggingface_hub Python package (`huggingface_hub.utils`).
 */
export function describeHubStatus(response: Response, what: { repo: string; file?: string; revision?: string; withToken: boolean }): string {
  const code = response.headers.get("x-error-code");
  const token = what.withToken ? "check that HF_TOKEN has access to it" : "if it is private or gated, set HF_TOKEN to a Hugging Face token with access";
  switch (code) {
    case "GatedRepo":
      return `${what.repo} is a gated repository: accept its terms on https://huggingface.co/${what.repo} and ${what.withToken ? "check that HF_TOKEN belongs to that account" : "set HF_TOKEN to a token of that account"}`;
    case "RepoNotFound":
      return `there is no repository ${what.repo} on Hugging Face (${token})`;
    case "RevisionNotFound":
      return `${what.repo} has no revision ${what.revision ?? "main"}`;
    case "EntryNotFound":
      return `${what.repo} has no file ${what.file ?? ""}`.trimEnd();
  }
  switch (response.status) {
    case 401:
    case 403:
      return `Hugging Face refused access to ${what.repo} (${response.status}; ${token})`;
    case 404:
      return `Hugging Face has no ${what.file ? `file ${what.file} in ` : ""}${what.repo} (404)`;
    case 429:
      return "Hugging Face is limiting this machine's requests (429): wait a few minutes and start again";
    default:
      return `Hugging Face answered ${response.status} ${response.statusText}`.trimEnd();
  }
}
