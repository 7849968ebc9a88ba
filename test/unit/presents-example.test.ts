import { describe, expect, it } from "vitest";
import { introductionOf, presentsExample } from "../../src/tools/parsers/internal/presents-example.js";

describe("introductionOf: the prose that introduces a fence", () => {
  it("is the last paragraph before it", () => {
    expect(introductionOf("First we look.\n\nHere is the call:\n")).toBe("Here is the call:");
  });

  it("starts after an earlier fence, whose code is not prose", () => {
    expect(introductionOf("Example:\n```ts\nconst example = 1;\n```\nWriting it:\n")).toBe("Writing it:");
  });

  it("reads at most the last 400 characters", () => {
    expect(introductionOf(`For example ${"word ".repeat(100)}`)).not.toContain("example");
  });
});

describe("presentsExample", () => {
  it.each([
    "Here is an example of what a Qwen3-Coder tool call looks like:\n\n",
    "For instance:\n",
    "e.g.\n",
    "A call would be:\n",
    "The format is:\n",
    "Its syntax, in short:\n",
    "To illustrate, the model writes\n",
    "A sample reply:\n",
  ])("a fence introduced by %j is an example", (before) => {
    expect(presentsExample(before)).toBe(true);
  });

  it.each([
    "",
    "I'll create the file:\n",
    "Let me read it.\n\n",
    "Running the tests now:\n",
    // An example mentioned in an earlier paragraph does not make the one introducing the call one.
    "That is an example of the bug.\n\nI'll fix it:\n",
  ])("a fence introduced by %j is the model acting", (before) => {
    expect(presentsExample(before)).toBe(false);
  });
});
