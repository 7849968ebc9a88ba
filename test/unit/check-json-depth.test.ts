import { describe, expect, it } from "vitest";
import { jsonDepthExceeds, MAX_JSON_DEPTH } from "../../src/http/check-json-depth.js";

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

describe("jsonDepthExceeds", () => {
  it("counts arrays and objects, up to the limit included", () => {
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonDepthExceeds(`${'{"a":'.repeat(300)}1${"}".repeat(300)}`)).toBe(true);
    expect(jsonDepthExceeds(nested(10_000))).toBe(true);
  });

  it("skips brackets inside strings, escaped quotes included", () => {
    expect(jsonDepthExceeds(JSON.stringify({ text: "[".repeat(1000) }), 2)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify({ text: `\\"${"{".repeat(10)}"\\` }), 1)).toBe(false);
    expect(jsonDepthExceeds('[["a"]]', 1)).toBe(true);
  });

  it("passes the largest real Claude Code request shape", () => {
    expect(jsonDepthExceeds(JSON.stringify({ messages: [{ role: "user", content: [{ type: "tool_result", content: [{ type: "text", text: "x" }] }] }] }))).toBe(
      false,
    );
  });
});
