/**
 * A pool keeps a conversation on one server by its session id, else by a hash of what stays the
 * same across its turns. That text is hashed in pieces (issue 24: a 30 MB first turn is never one
 * string beside itself): the key is the hash of the same JSON text, whatever its size.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { poolSessionKey } from "../../src/backends/pool/pool-session-key.js";
import type { MessagesRequest } from "../../src/translate/anthropic-types.js";

const keyOfText = (request: MessagesRequest) => {
  const firstUser = request.messages.find((message) => message.role === "user");
  const text = [request.system ?? null, request.tools ?? null, firstUser?.content ?? null].map((part) => JSON.stringify(part)).join("\n");
  return `prefix:${createHash("sha256").update(text).digest("base64url")}`;
};

describe("poolSessionKey", () => {
  it("is Claude Code's session id when it sends one", () => {
    expect(poolSessionKey("session-1", { model: "m", max_tokens: 1, messages: [] })).toBe("session-1");
  });

  it("else hashes the system prompt, tools and first user turn as JSON text: the same key for a small and a 3 MB first turn as the whole text's hash", () => {
    for (const content of ["hello", `naïve 🙂 ${"p".repeat(3 * 1024 * 1024)}`]) {
      const request: MessagesRequest = {
        model: "m",
        max_tokens: 1,
        system: "be brief",
        tools: [{ name: "Read", input_schema: { type: "object" } }],
        messages: [
          { role: "user", content },
          { role: "assistant", content: "ok" },
        ],
      };
      expect(poolSessionKey(null, request)).toBe(keyOfText(request));
      // A later turn of the same conversation stays on the same server.
      expect(poolSessionKey("", { ...request, messages: [...request.messages, { role: "user", content: "more" }] })).toBe(poolSessionKey(null, request));
    }
  });
});
