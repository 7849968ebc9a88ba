import { PassThrough, type Readable } from "node:stream";
import { FastResponse } from "srvx";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import { cleanHistoryForClaude } from "../translate/clean-history-for-claude.js";
import { formatSSE } from "../translate/stream/format-sse.js";
import { BackendError } from "./backend-error.js";
import { readBodyStart } from "../shared/read-body-text.js";
import { RETENTION_LIMITS } from "../shared/retention-limits.js";
import { toAnthropicError } from "../translate/anthropic-error.js";
import { classifyUpstreamError, type UpstreamCall } from "./classify-upstream-error.js";
import type { PostOptions } from "./post-chat-completions.js";
import type { RuntimeBackend } from "./resolve-backends.js";
import type { UpstreamResponse } from "./send-upstream-post.js";
import { upstreamBody } from "./upstream-body.js";

export interface ForwardOptions extends PostOptions {
  /** Takes known secrets out of an error answer's text before the client gets it (the key mallex sent may come back in it). */
  redact(text: string): string;
}

/**
 * Sends the request on to the Anthropic API as it is (a gateway passes `anthropic-version` and
 * `anthropic-beta` through unchanged), its history cleaned of what local models left in it that the API
 * refuses (clean-history-for-claude.ts), and hands back its response, streamed, status and all. The
 * backend's limits hold (connect, silence before the headers and between chunks); a stream that
 * breaks or goes silent after its headers ends with an `error` event, as the API's own would.
 * Aborting `signal` ends the upstream request whether its headers are in or not.
 */
export function forwardToAnthropic(
  backend: RuntimeBackend,
  request: MessagesRequest,
  model: string,
  incoming: Headers,
  options: ForwardOptions,
): Promise<Response> {
  const url = `${backend.baseUrl}/v1/messages`;
  const call: UpstreamCall = { backend: backend.name, baseUrl: backend.baseUrl ?? "", url, timeouts: options.timeouts, signal: options.signal };
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "anthropic-version": incoming.get("anthropic-version") ?? "2023-06-01",
    "x-api-key": backend.apiKey ?? "",
    ...backend.headers,
  };
  const beta = incoming.get("anthropic-beta");
  if (beta) headers["anthropic-beta"] = beta;
  // Sent before anything awaits: what waits for the API's answer holds the body it sent, not the
  // parsed request as well (a 30 MB prompt is both until its answer comes).
  let sent: Promise<UpstreamResponse>;
  try {
    sent = options.client.post(url, {
      body: upstreamBody({ ...cleanHistoryForClaude(request), model }),
      headers,
      signal: options.signal,
      timeouts: options.timeouts,
    });
  } catch (error) {
    sent = Promise.reject(error as Error);
  }
  return answerOf(sent, call, options.redact);
}

/** The API's answer as the client gets it, once its headers are in (see {@link forwardToAnthropic}). */
async function answerOf(sent: Promise<UpstreamResponse>, call: UpstreamCall, redact: (text: string) => string): Promise<Response> {
  let response: UpstreamResponse;
  try {
    response = await sent;
  } catch (error) {
    throw classifyUpstreamError(error, call, "headers");
  }
  const passed = new Headers();
  for (const name of ["content-type", "request-id", "retry-after", "x-should-retry", "anthropic-ratelimit-requests-remaining"]) {
    const value = response.headers.get(name);
    if (value) passed.set(name, value);
  }
  if (response.status >= 400 && response.body !== null) return errorAnswer(response.status, response.body, passed, redact);
  const sse = passed.get("content-type")?.startsWith("text/event-stream") === true;
  return new FastResponse(response.body && passOn(response.body, call, sse), { status: response.status, headers: passed });
}

/**
 * An error answer as the client gets it: its first RETENTION_LIMITS.errorBodyBytes, redacted (an
 * API behind a gateway may echo the request's headers, x-api-key included). One longer than that is
 * no envelope Claude Code needs whole: it gets one of mallex's, with the start of the API's text.
 */
async function errorAnswer(status: number, body: Readable, headers: Headers, redact: (text: string) => string): Promise<Response> {
  const { text, cut } = await readBodyStart(body, RETENTION_LIMITS.errorBodyBytes).catch(() => ({ text: "", cut: true }));
  if (!cut) return new FastResponse(redact(text), { status, headers });
  headers.set("content-type", "application/json");
  const message = `The Anthropic API answered HTTP ${status} with a body of more than ${RETENTION_LIMITS.errorBodyBytes / 1024} KiB; it began: ${redact(text.slice(0, 1000))}`;
  return new FastResponse(JSON.stringify(toAnthropicError(status, undefined, message)), { status, headers });
}

/**
 * The API's body on its way to the client. A failure (a silence past the limit, a reset) of an SSE
 * body becomes a last `error` event instead of a cut; a client that goes away ends the upstream request.
 */
function passOn(body: Readable, call: UpstreamCall, sse: boolean): Readable {
  const out = new PassThrough();
  body.on("error", (cause) => {
    const error = classifyUpstreamError(cause, call, "body");
    if (!sse || !BackendError.isInstance(error)) return void out.destroy(error as Error);
    // A blank line first: the cut may have left an event half-written. A silence is the API's 529, a break its gateway's 502.
    out.end(`\n\n${formatSSE(toAnthropicError(error.failure === "timeout" ? 529 : 502, undefined, `${error.message}.`))}`);
  });
  out.once("close", () => {
    if (!body.readableEnded) body.destroy();
  });
  return body.pipe(out);
}
