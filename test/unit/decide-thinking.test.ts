import { describe, expect, it } from "vitest";
import { decideThinking, thinkingRequested } from "../../src/translate/decide-thinking.js";

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
