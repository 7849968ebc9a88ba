import type { AnthropicErrorObject } from "../translate/anthropic-types.js";

/**
 * Message threads (`thread: {type: "create"}` / `{type: "continue", previous_message_id}`, the
 * `message-threads-2026-08-12` beta of @anthropic-ai/sdk 1.12): mallex declines them, the way the API
 * documents for a request it cannot thread — 400 `invalid_request_error` with
 * `error.details.error_code: "thread_unsupported_request"`. The SDK's tool runner (and any thread made
 * with `unsupportedRequestBehavior: "continue_unthreaded"`) then stops threading and sends the whole
 * conversation on every turn (ThreadState.recoversFrom); a thread left at the default behaviour gets
 * a `ThreadUnsupportedRequestError` naming the reason, as it would from a server that cannot thread.
 *
 * Why decline rather than hold threads on the proxy:
 * - Threads save re-uploading the history to a remote API. mallex listens on loopback, and its
 *   renderer sends the same prefix bytes on every turn, so the model server's prefix KV cache already
 *   skips the prefill a thread would save: holding the history buys no speed here.
 * - A server-held thread is state the SDK relies on exactly (create-only `system`/`tools`, replies
 *   continued once, `thread_not_found` after expiry, `thread_continue_in_flight`, partial and refused
 *   replies, fingerprints): a second copy of every conversation in proxy memory, with eviction rules,
 *   to get what one extra 400 per conversation already gives.
 * - The decline costs one immediate 400 (no generation) the first time a runner sends `thread`; after
 *   it the SDK never sends `thread` again in that conversation.
 *
 * `unsupported` is left out: no single request field is to blame (the SDK reads its absence as `[]`,
 * and its docs say to send the full conversation on any value it does not know).
 */
export interface ThreadDecline {
  message: string;
  details: NonNullable<AnthropicErrorObject["details"]>;
}

/** The decline for a body that asks for a thread; undefined when it does not (`thread` absent or null). */
export function declineThread(body: object): ThreadDecline | undefined {
  const thread = (body as { thread?: unknown }).thread;
  if (thread === undefined || thread === null) return undefined;
  return {
    message: "thread: mallex does not hold message threads; send the whole conversation without `thread`.",
    details: { error_code: "thread_unsupported_request" },
  };
}
