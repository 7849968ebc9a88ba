import { describe, expect, it } from "vitest";
import { decideThinking, thinkingRequested, upstreamThinking } from "../../src/translate/decide-thinking.js";
import { describeRequestFields } from "../../src/translate/describe-request-fields.js";

describe("decideThinking", () => {
  it("shows thinking only when the request asks for it and the profile exposes it", () => {
    expect(decideThinking({ type: "enabled", budget_tokens: 1024 }, "expose")).toEqual({ show: true, strippedByProfile: false });
    expect(decideThinking({ type: "adaptive" }, "expose")).toEqual({ show: true, strippedByProfile: false });
    expect(decideThinking({ type: "adaptive", display: "summarized" }, "expose")).toEqual({ show: true, strippedByProfile: false });
    expect(decideThinking({ type: "disabled" }, "expose")).toEqual({ show: false, strippedByProfile: false });
    expect(decideThinking(undefined, "expose")).toEqual({ show: false, strippedByProfile: false });
  });

  it("says the profile stripped it only when the request asked to see it", () => {
    expect(decideThinking({ type: "enabled", budget_tokens: 1024 }, "strip")).toEqual({ show: false, strippedByProfile: true });
    expect(decideThinking({ type: "adaptive" }, "strip")).toEqual({ show: false, strippedByProfile: true });
    expect(decideThinking({ type: "disabled" }, "strip")).toEqual({ show: false, strippedByProfile: false });
    expect(decideThinking(undefined, "strip")).toEqual({ show: false, strippedByProfile: false });
  });

  it("display omitted asks for no thinking text: nothing shown, nothing stripped", () => {
    expect(decideThinking({ type: "adaptive", display: "omitted" }, "expose")).toEqual({ show: false, strippedByProfile: false });
    expect(decideThinking({ type: "enabled", budget_tokens: 1024, display: "omitted" }, "strip")).toEqual({ show: false, strippedByProfile: false });
  });

  it("thinkingRequested: on, off, or the model's own default", () => {
    expect(thinkingRequested({ type: "adaptive" })).toBe(true);
    expect(thinkingRequested({ type: "disabled" })).toBe(false);
    expect(thinkingRequested(undefined)).toBeUndefined();
  });
});

describe("upstreamThinking and describeRequestFields: what a local server is told, and the log line says", () => {
  it("adaptive, with or without display, is on like enabled; the profile's enable_thinking wins", () => {
    for (const thinking of [{ type: "adaptive" }, { type: "adaptive", display: "omitted" }, { type: "enabled", budget_tokens: 1024 }] as const) {
      expect(upstreamThinking(thinking, undefined)).toBe(true);
      expect(upstreamThinking(thinking, false)).toBe(false);
    }
    expect(upstreamThinking({ type: "disabled" }, undefined)).toBe(false);
    expect(upstreamThinking(undefined, undefined)).toBeUndefined();
  });

  it("names each Anthropic-only setting once, briefly", () => {
    const cm = { edits: [{ type: "clear_thinking_20251015", keep: "all" }] };
    expect(describeRequestFields({ thinking: { type: "adaptive", display: "omitted" }, context_management: cm }, {})).toBe(
      "thinking adaptive→on, context_management dropped",
    );
    expect(describeRequestFields({ thinking: { type: "adaptive" } }, { enableThinking: false })).toBe("thinking adaptive→off by profile");
    expect(describeRequestFields({ thinking: { type: "disabled" } }, { enableThinking: false })).toBe("thinking disabled→off");
    expect(describeRequestFields({ thinking: { type: "enabled", budget_tokens: 2048 } }, { enableThinking: true })).toBe("thinking enabled→on");
    expect(describeRequestFields({ context_management: cm }, {})).toBe("context_management dropped");
    expect(describeRequestFields({}, { enableThinking: true })).toBeUndefined();
  });
});
