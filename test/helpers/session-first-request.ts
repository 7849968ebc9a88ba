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
