import type { TextRequestInit, TextResponse } from "../../shared/send-text-request.js";

/** The longest facts answer read: /props, /v1/models and /api/show are kilobytes; a server's list of hundreds of models, hundreds. */
export const MAX_FACTS_ANSWER_BYTES = 4 * 1024 * 1024;

/** How a request reaches the server: sendTextRequest (node:http), or a test's stand-in. */
export type SendText = (url: string, init: TextRequestInit) => Promise<TextResponse>;

/**
 * How a facts reader asks a server: one JSON request, under the discovery's signal (its time limit
 * joined with the caller's). Any answer but a 2xx with JSON of at most MAX_FACTS_ANSWER_BYTES, or no
 * answer in time, is undefined: a server that does not say is not an error here, its declared values
 * stand.
 */
export type AskJson = (url: string, init?: { method?: "GET" | "POST"; body?: unknown }) => Promise<unknown>;

export function createAskJson(send: SendText, headers: Readonly<Record<string, string>>, signal: AbortSignal): AskJson {
  return async (url, init = {}) => {
    try {
      const body = init.body === undefined ? undefined : JSON.stringify(init.body);
      // The body is read under the same signal: a server that sends headers and then stalls times out too.
      const response = await send(url, {
        method: init.method ?? "GET",
        headers:
          body === undefined ? { ...headers, accept: "application/json" } : { ...headers, accept: "application/json", "content-type": "application/json" },
        ...(body === undefined ? {} : { body }),
        signal,
        maxBytes: MAX_FACTS_ANSWER_BYTES,
        maxErrorBytes: 0,
      });
      return !response.ok || response.cut ? undefined : (JSON.parse(response.text) as unknown);
    } catch {
      return undefined;
    }
  };
}
