import { ofetch } from "ofetch";
import { BackendError } from "./backend-error.js";
import type { RuntimeBackend } from "./resolve-backends.js";

export interface PostOptions {
  /** The client's abort signal: a client that hangs up stops the generation upstream. */
  signal: AbortSignal;
  /** Give up when the backend has not answered with headers within this long. */
  headersTimeoutMs: number;
}

/**
 * POSTs a serialised chat request to an OpenAI-compatible `/chat/completions` and returns the
 * response once its headers are in, body unread (streaming is the normal case). Never retries: the
 * client decides that.
 */
export async function postChatCompletions(backend: RuntimeBackend, body: string, options: PostOptions): Promise<Response> {
  const url = `${backend.baseUrl}/chat/completions`;
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal.reason);
  options.signal.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new Error("headers timeout")), options.headersTimeoutMs);
  const headers: Record<string, string> = { "content-type": "application/json", ...backend.headers };
  if (backend.apiKey) headers.authorization = `Bearer ${backend.apiKey}`;
  try {
    const response = await ofetch.raw(url, {
      method: "POST",
      body,
      headers,
      responseType: "stream",
      signal: controller.signal,
      retry: false,
      ignoreResponseError: true,
    });
    if (!response.ok) {
      const text = response.body ? await new Response(response.body).text() : "";
      throw new BackendError("http", `${backend.name} answered HTTP ${response.status}: ${describeErrorBody(text)}`, { backend: backend.name, url, status: response.status, body: text });
    }
    return response;
  } catch (error) {
    if (BackendError.isInstance(error)) throw error;
    if (options.signal.aborted) throw error;
    if (controller.signal.aborted) {
      throw new BackendError("timeout", `${backend.name} at ${backend.baseUrl} did not answer within ${Math.round(options.headersTimeoutMs / 1000)} s`, { backend: backend.name, url, cause: error });
    }
    const cause = causeOf(error);
    // It listened, then hung up without an answer: mlx-lm does that on parameters it rejects.
    if (/UND_ERR_SOCKET|ECONNRESET|EPIPE|other side closed|terminated/.test(cause)) {
      throw new BackendError("closed", `${backend.name} at ${backend.baseUrl} closed the connection without answering (${cause})`, { backend: backend.name, url, cause: error });
    }
    throw new BackendError("unreachable", `${backend.name} at ${backend.baseUrl} is not reachable (${cause})`, { backend: backend.name, url, cause: error });
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener("abort", onAbort);
  }
}

/** mlx-lm answers `{"error": "…"}`, OpenAI-style servers `{"error": {"message": …}}`; show the message. */
function describeErrorBody(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: string | { message?: string } };
    if (typeof parsed.error === "string") return parsed.error;
    if (parsed.error?.message) return parsed.error.message;
  } catch {
    // not JSON: show it as it is
  }
  return text.trim().slice(0, 300) || "(empty body)";
}

/** The most specific reason in the cause chain: ofetch wraps fetch's TypeError, which wraps the socket error. */
function causeOf(error: unknown): string {
  let current: unknown = error;
  let reason = error instanceof Error ? error.message : String(error);
  for (let depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === "string") return code;
    if (typeof message === "string" && message) reason = message;
    current = (current as { cause?: unknown }).cause;
  }
  return reason;
}
