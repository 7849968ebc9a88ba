import { ofetch } from "ofetch";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import { BackendError } from "./backend-error.js";
import type { RuntimeBackend } from "./resolve-backends.js";

/**
 * Thinking blocks a local model produced carry no valid signature; the real API answers 400 to them
 * (protocol.md §2.7), so they are dropped before the conversation goes to Claude.
 */
export function stripUnsignedThinking(request: MessagesRequest): MessagesRequest {
  return {
    ...request,
    messages: request.messages.map((message) =>
      typeof message.content === "string"
        ? message
        : { ...message, content: message.content.filter((block) => !(block.type === "thinking" && !block.signature)) },
    ),
  };
}

/**
 * Sends the request on to the Anthropic API as it is (a gateway passes `anthropic-version` and
 * `anthropic-beta` through unchanged) and hands back its response, streamed, status and all.
 */
export async function forwardToAnthropic(backend: RuntimeBackend, request: MessagesRequest, model: string, incoming: Headers, signal: AbortSignal): Promise<Response> {
  const url = `${backend.baseUrl}/v1/messages`;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "anthropic-version": incoming.get("anthropic-version") ?? "2023-06-01",
    "x-api-key": backend.apiKey ?? "",
    ...backend.headers,
  };
  const beta = incoming.get("anthropic-beta");
  if (beta) headers["anthropic-beta"] = beta;
  try {
    const response = await ofetch.raw(url, {
      method: "POST",
      body: JSON.stringify({ ...stripUnsignedThinking(request), model }),
      headers,
      responseType: "stream",
      signal,
      retry: false,
      ignoreResponseError: true,
    });
    const passed = new Headers();
    for (const name of ["content-type", "request-id", "retry-after", "x-should-retry", "anthropic-ratelimit-requests-remaining"]) {
      const value = response.headers.get(name);
      if (value) passed.set(name, value);
    }
    return new Response(response.body, { status: response.status, headers: passed });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new BackendError("unreachable", `the Anthropic API at ${backend.baseUrl} is not reachable (${(error as Error).message})`, { backend: backend.name, url, cause: error });
  }
}
