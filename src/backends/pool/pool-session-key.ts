import { createHash } from "node:crypto";
import type { MessagesRequest } from "../../translate/anthropic-types.js";
import { jsonPieces } from "../../shared/json-text.js";

/**
 * What keeps a conversation on one server of a pool: Claude Code's session id when it sends one
 * (nothing is hashed then), else a hash of what stays the same across its turns (the system prompt,
 * the tools and the first user turn), which is also the prefix the server has cached. Hashed as
 * their JSON text in pieces: a 30 MB first turn is never one string, nor one buffer, beside itself.
 */
export function poolSessionKey(sessionId: string | null, request: MessagesRequest): string {
  if (sessionId !== null && sessionId !== "") return sessionId;
  const firstUser = request.messages.find((message) => message.role === "user");
  const hash = createHash("sha256");
  const parts = [request.system ?? null, request.tools ?? null, firstUser?.content ?? null];
  parts.forEach((part, i) => {
    if (i > 0) hash.update("\n");
    for (const piece of jsonPieces(part)) hash.update(piece);
  });
  return `prefix:${hash.digest("base64url")}`;
}
