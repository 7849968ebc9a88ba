import { expect } from "vitest";
import { parseSSE } from "../fakes/read-sse.js";
import { readCapture } from "./shared-dir.js";

/**
 * Claude Code's captured first request as JSON text, streamed, one token of answer; `"b"`: the same
 * from another repository, day and commit — a new session, whose prompt shares only what every
 * session of a profile begins with.
 */
export function sessionFirstRequest(session: "a" | "b"): string {
  const text = JSON.stringify({ ...readCapture("main-request-2plus2.json").body, stream: true, max_tokens: 1 });
  return session === "a" ? text : text.replaceAll("tiny-repo", "billing-service").replaceAll("2026-11-21", "2026-11-24").replaceAll("a36f7cd", "9c1e2d4");
}

/** A streamed request's input and cached tokens, as the proxy at `url` reports them in its message_delta. */
export interface SessionUsage {
  input_tokens: number;
  cache_read_input_tokens: number;
}

/** Posts `body` (a Messages request as JSON text) to the proxy at `url`, streamed; its answer must be 200. */
export async function sessionUsage(url: string, body: string): Promise<SessionUsage> {
  const response = await fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": "local", "anthropic-version": "2023-06-01" },
    body,
  });
  expect(response.status).toBe(200);
  const events = parseSSE(await response.text()).map((event) => JSON.parse(event.data) as { type: string; usage?: SessionUsage });
  return events.find((event) => event.type === "message_delta")!.usage!;
}
