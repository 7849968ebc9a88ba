import { BackendError } from "./backend-error.js";
import { classifyBodyErrors, classifyUpstreamError, type UpstreamCall } from "./classify-upstream-error.js";
import { readRetryAfter } from "./read-retry-after.js";
import type { RuntimeBackend } from "./resolve-backends.js";
import { closesEachConnection, type UpstreamClient, type UpstreamTimeouts } from "./upstream-client.js";

export interface PostOptions {
  /** The client's abort signal: a client that hangs up stops the generation upstream, headers in or not. */
  signal: AbortSignal;
  /** The HTTP client, with its connection pools (ServerContext.upstream). */
  client: UpstreamClient;
  /** The backend's limits (upstreamTimeouts): connect, then silence before the headers and between chunks. */
  timeouts: UpstreamTimeouts;
}

/**
 * POSTs a serialised chat request to an OpenAI-compatible `/chat/completions` and returns the
 * response once its headers are in, body unread (streaming is the normal case); a read error of the
 * body is a {@link BackendError} too (a silence past the timeout, a reset). An error status throws,
 * with the backend's message. Never retries: the client decides that.
 */
export async function postChatCompletions(backend: RuntimeBackend, body: string, options: PostOptions): Promise<Response> {
  const url = `${backend.baseUrl}/chat/completions`;
  const call: UpstreamCall = { backend: backend.name, baseUrl: backend.baseUrl ?? "", url, timeouts: options.timeouts, signal: options.signal };
  const headers: Record<string, string> = { "content-type": "application/json", ...backend.headers };
  if (backend.apiKey) headers.authorization = `Bearer ${backend.apiKey}`;
  let response: Response;
  try {
    response = await options.client.post(url, { body, headers, signal: options.signal, timeouts: options.timeouts, preconnect: closesEachConnection(backend.flavor) });
  } catch (error) {
    throw classifyUpstreamError(error, call, "headers");
  }
  const classified = response.body ? classifyBodyErrors(response.body, call) : null;
  if (!response.ok) {
    const text = classified ? await new Response(classified).text() : "";
    const retryAfter = readRetryAfter(response.headers);
    throw new BackendError("http", `${backend.name} answered HTTP ${response.status}: ${describeErrorBody(text)}`, {
      backend: backend.name,
      url,
      status: response.status,
      body: text,
      ...(retryAfter === undefined ? {} : { retryAfter }),
    });
  }
  return new Response(classified, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** mlx-lm answers `{"error": "…"}`, OpenAI-style servers `{"error": {"message": …}}`; show the message. */
export function describeErrorBody(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: string | { message?: string } };
    if (typeof parsed.error === "string") return parsed.error;
    if (parsed.error?.message) return parsed.error.message;
  } catch {
    // not JSON: show it as it is
  }
  return text.trim().slice(0, 300) || "(empty body)";
}
