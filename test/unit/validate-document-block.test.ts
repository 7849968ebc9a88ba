import { describe, expect, it } from "vitest";
import { loadValidator } from "../../src/shared/load-validator.js";
import { findPackageRoot } from "../../src/shared/package-root.js";
import { checkMessagesBody } from "../../src/pipeline/check-messages-body.js";

const validate = await loadValidator(findPackageRoot(), "validate-messages");
const withContent = (content: unknown[]) => JSON.stringify({ model: "m", max_tokens: 8, messages: [{ role: "user", content }] });

describe("document blocks are checked like the API checks them", () => {
  // A document without its source reached the translator and crashed it: a 500 "mallex failed" (found by the fuzz suite).
  it.each([
    [[{ type: "document" }], "messages.0.content.0.source: Field required"],
    [[{ type: "document", source: {} }], "messages.0.content.0.source.type: Field required"],
    [[{ type: "document", source: { type: "bogus" } }], "messages.0.content.0.source.type: Input should be 'base64', 'text', 'content', 'url', 'file'"],
    [[{ type: "document", source: { type: "base64", data: "AA==" } }], "messages.0.content.0.source.media_type: Field required"],
    [[{ type: "document", source: { type: "text", data: 7 } }], "messages.0.content.0.source.data: Input should be a valid string"],
    [
      [{ type: "document", source: { type: "content", content: [{ type: "text", text: 5 }] } }],
      "messages.0.content.0.source.content.0.text: Input should be a valid string",
    ],
  ])("%j → 400 %s", (content, message) => {
    expect(checkMessagesBody(withContent(content), validate)).toEqual({ ok: false, message });
  });

  it("accepts every documented source", () => {
    for (const source of [
      { type: "base64", media_type: "application/pdf", data: "JVBERi0=" },
      { type: "text", media_type: "text/plain", data: "hello" },
      { type: "content", content: "hello" },
      { type: "content", content: [{ type: "text", text: "hello" }] },
      { type: "url", url: "https://example.com/a.pdf" },
      { type: "file", file_id: "file_1" },
    ]) {
      expect(checkMessagesBody(withContent([{ type: "document", source, title: "A" }]), validate).ok).toBe(true);
    }
  });
});
