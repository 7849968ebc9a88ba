import { describe, expect, it } from "vitest";
import { repeatedOption } from "../../src/cli/args/repeated-option.js";

describe("repeatedOption", () => {
  it("collects every value of an option, in order, in both spellings, up to --", () => {
    expect(repeatedOption(["--backend-url", "http://a/v1", "--port", "1", "--backend-url=http://b/v1", "--", "--backend-url", "c"], "backend-url")).toEqual([
      "http://a/v1",
      "http://b/v1",
    ]);
    expect(repeatedOption(["--backend-url"], "backend-url")).toEqual([]);
    expect(repeatedOption(["--backend-urlx", "a"], "backend-url")).toEqual([]);
  });
});
