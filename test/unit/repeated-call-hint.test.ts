import { describe, expect, it } from "vitest";
import type { AnthropicMessageParam } from "../../src/translate/anthropic-types.js";
import { repeatedCallHint } from "../../src/translate/tool-calls/repeated-call-hint.js";

const call = (id: string, input: unknown): AnthropicMessageParam => ({ role: "assistant", content: [{ type: "tool_use", id, name: "Grep", input }] });
const result = (id: string): AnthropicMessageParam => ({ role: "user", content: [{ type: "tool_result", tool_use_id: id, content: "client.js:1" }] });

describe("repeatedCallHint", () => {
  it("speaks when the last two turns made the same calls (their ids differ), and only then", () => {
    const loop = [
      { role: "user" as const, content: "where is fetchWithRetry?" },
      call("a", { pattern: "x" }),
      result("a"),
      call("b", { pattern: "x" }),
      result("b"),
    ];
    expect(repeatedCallHint(loop)).toMatch(/^Your last two turns made the same tool call/);
    expect(repeatedCallHint([...loop.slice(0, 3), call("b", { pattern: "y" }), result("b")])).toBeUndefined();
    expect(repeatedCallHint(loop.slice(0, 3))).toBeUndefined();
    expect(
      repeatedCallHint([
        { role: "assistant", content: "Hi" },
        { role: "user", content: "hi" },
        { role: "assistant", content: "Hi" },
      ]),
    ).toBeUndefined();
  });
});
