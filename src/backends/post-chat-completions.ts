import { BackendError } from "./backend-error.js";
import { Readable } from "node:stream";
import { classifyUpstreamError, type UpstreamCall } from "./classify-upstream-error.js";
import { readBodyStart } from "../shared/read-body-text.js";
import { clipText, RETENTION_LIMITS } from "../shared/retention-limits.js";
import { readRetryAfter } from "./read-retry-after.js";
import type { UpstreamResponse } from "./send-upstream-post.js";
import type { RuntimeBackend } from "./resolve-backends.js";
import type { UpstreamBody } from "./upstream-body.js";
import { closesEachConnection, type UpstreamClient, type UpstreamTimeouts } from "./upstream-client.js";

export interface PostOptions {
  /** The client's abort signal: a client that hangs up stops the generation upstream, headers in or not. */
  signal: AbortSignal;
  /** The HTTP client, with its connection pools (ServerContext.upstream). */
  client: UpstreamClient;
  /** The backend's limits (upstreamTimeouts): connect, then silence before the headers and between chunks. */
  timeouts: UpstreamTimeouts;
}

/** A completion's answer, headers in, body unread. */
export interface ChatCompletionResponse {
  status: number;
  headers: Headers;
  /** Where it came from, for the messages about it. */
  url: string;
  /** The body as it arrives: SSE when streamed, JSON otherwise. */
  body: Readable;
  /** What a read failure of the body means: a {@link BackendError} (a silence past the limit, a reset), or the abort. */
  bodyError(error: unknown): unknown;
}

/**
 * POSTs a serialised chat request to an OpenAI-compatible `/chat/completions` and returns the
 * answer once its headers are in, body unread (streaming is the normal case). An error status
 * throws, with the backend's message. Never retries: the client decides that.
 */
export async function postChatCompletions(backend: RuntimeBackend, body: UpstreamBody, options: PostOptions): Promise<ChatCompletionResponse> {
  const url = `${backend.baseUrl}/chat/completions`;
  const call: UpstreamCall = { backend: backend.name, baseUrl: backend.baseUrl ?? "", url, timeouts: options.timeouts, signal: options.signal };
  const headers: Record<string, string> = { "content-type": "application/json", ...backend.headers };
  if (backend.apiKey) headers.authorization = `Bearer ${backend.apiKey}`;
  let response: UpstreamResponse;
  try {
    response = await options.client.post(url, {
      body,
      headers,
      signal: options.signal,
      timeouts: options.timeouts,
      preconnect: closesEachConnection(backend.flavor),
    });
  } catch (error) {
    throw classifyUpstreamError(error, call, "headers");
  }
  const bodyError = (error: unknown) => classifyUpstreamError(error, call, "body");
  if (response.status < 200 || response.status >= 300) {
    // Its start only: a server's error body is shown and kept, never read whole.
    const text = response.body ? (await readBodyStart(response.body, RETENTION_LIMITS.errorBodyBytes).catch(() => ({ text: "" }))).text : "";
    const retryAfter = readRetryAfter(response.headers);
    throw new BackendError("http", `${backend.name} answered HTTP ${response.status}: ${describeErrorBody(text)}`, {
      backend: backend.name,
      url,
      status: response.status,
      body: text,
      ...(retryAfter === undefined ? {} : { retryAfter }),
    });
  }
  return { status: response.status, headers: response.headers, url, body: response.body ?? Readable.from([]), bodyError };
}

/** mlx-lm answers `{"error": "…"}`, OpenAI-style servers `{"error": {"message": …}}`; show the message. */
export function describeErrorBody(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: string | { message?: string } };
    // Clipped: the message goes to the client, the log and the dashboard.
    if (typeof parsed.error === "string") return clipText(parsed.error, RETENTION_LIMITS.messageChars);
    if (typeof parsed.error?.message === "string" && parsed.error.message !== "") return clipText(parsed.error.message, RETENTION_LIMITS.messageChars);
  } catch {
    // not JSON: show it as it is
  }
  return text.trim().slice(0, 300) || "(empty body)";
}
