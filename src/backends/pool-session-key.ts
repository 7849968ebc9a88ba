import { createHash } from "node:crypto";
import type { MessagesRequest } from "../translate/anthropic-types.js";

/**
 * What keeps a conversation on one server of a pool: Claude Code's session id when it sends one
 * (nothing is hashed then), else a hash of what stays the same across its turns (the system prompt,
 * the tools and the first user turn), which is also the prefix the server has cached.
 */
export function poolSessionKey(sessionId: string | null, request: MessagesRequest): string {
  if (sessionId !== null && sessionId !== "") return sessionId;
  const firstUser = request.messages.find((message) => message.role === "user");
  const hash = createHash("sha256");
  hash.update(JSON.stringify(request.system ?? null));
  hash.update("\n");
  hash.update(JSON.stringify(request.tools ?? null));
  hash.update("\n");
  hash.update(JSON.stringify(firstUser?.content ?? null));
  return `prefix:${hash.digest("base64url")}`;
}
