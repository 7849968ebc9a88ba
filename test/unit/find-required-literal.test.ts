/**
 * findRequiredLiteral: a literal every match contains, and how many runs of line breaks come before
 * it, read from a mallex.yaml pattern; LinearRegex.exec starts its search that many runs of line
 * breaks above the literal's first occurrence and finds the same first match (the shipped keep rules'
 * search went from ~1.1 ms to ~0.3 ms per new system prompt).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileLinearRegex } from "../../src/linear-regex/compile-linear-regex.js";
import { findRequiredLiteral, windowStart } from "../../src/linear-regex/find-required-literal.js";

describe("findRequiredLiteral", () => {
  it("reads the shipped keep rules' literals and the line breaks before them", () => {
    const environment =
      "(?:# Environment\\n)?(?:You have been invoked in the following environment: *\\n)?(?<environment> - Primary working directory:[^\\n]*(?:\\n {1,4}- (?:Is a git repository|Platform|Shell|OS Version):[^\\n]*)*)(?:\\n {1,4}- [^\\n]*)*";
    expect(findRequiredLiteral(environment, "")).toEqual({ literal: " - Primary working directory:", breaksBefore: 2 });
    // Blank lines (\n+) before the literal are one run, however many.
    expect(findRequiredLiteral("(?:# gitStatus\\n[^\\n]*\\n+|gitStatus: [^\\n]*\\n+)?(?<git>Current branch: [^\\n]*)", "")).toEqual({
      literal: "Current branch: ",
      breaksBefore: 2,
    });
    expect(findRequiredLiteral("(?:# currentDate\\n)?(?<date>Today's date is [^\\n]*)", "")).toEqual({ literal: "Today's date is ", breaksBefore: 1 });
  });

  it("prefers the literal with fewer line breaks before it, then the longer one", () => {
    expect(findRequiredLiteral("ab\\ncdefgh", "")).toEqual({ literal: "ab\ncdefgh", breaksBefore: 0 });
    expect(findRequiredLiteral("ab[0-9]cdefgh", "")).toEqual({ literal: "cdefgh", breaksBefore: 0 });
    expect(findRequiredLiteral("ab\\s+cdefgh", "")).toEqual({ literal: "ab", breaksBefore: 0 });
    expect(findRequiredLiteral("x?(?:a\\.b)+", "")).toEqual({ literal: "a.b", breaksBefore: 0 });
  });

  it("counts what can hold a line break: classes, . with s, \\s, and repeats of them without bound", () => {
    expect(findRequiredLiteral("[^a]lit", "")?.breaksBefore).toBe(1);
    expect(findRequiredLiteral("[^\\n]*lit", "")?.breaksBefore).toBe(0);
    expect(findRequiredLiteral("[^\\\\n]*lit", "")?.breaksBefore).toBe(Infinity); // not a backslash, not "n": a line break may be
    expect(findRequiredLiteral("[\\x00-\\x1f]{2}lit", "")?.breaksBefore).toBe(2);
    expect(findRequiredLiteral(".*lit", "")?.breaksBefore).toBe(0);
    expect(findRequiredLiteral(".*lit", "s")?.breaksBefore).toBe(Infinity);
    expect(findRequiredLiteral("(?:\\n[^\\n]+)*lit", "")?.breaksBefore).toBe(Infinity);
    expect(findRequiredLiteral("\\n{3,}lit", "")?.breaksBefore).toBe(1);
  });

  it("gives nothing it cannot vouch for", () => {
    for (const [source, flags] of [
      ["foo|bar", ""],
      ["(?:foo|bar)", ""],
      ["Foo", "i"],
      ["(?<=a)foo", ""],
      ["a{,2}foo", ""],
      ["\\u{41}foo", "u"],
      ["(foo", ""],
      ["\\p{L}foo", "u"],
    ]) {
      expect(findRequiredLiteral(source!, flags!), source).toBeUndefined();
    }
    // What it can vouch for may be less than the whole: "foo?" always holds "fo".
    expect(findRequiredLiteral("foo?", "")).toEqual({ literal: "fo", breaksBefore: 0 });
  });
});

describe("windowStart", () => {
  it("goes back over that many runs of line breaks, to the start of a line", () => {
    const text = "zero\none\n\n\ntwo\nthree LIT";
    const at = text.indexOf("LIT");
    expect(text.slice(windowStart(text, at, 0))).toBe("three LIT");
    expect(text.slice(windowStart(text, at, 1))).toBe("two\nthree LIT");
    expect(text.slice(windowStart(text, at, 2))).toBe("one\n\n\ntwo\nthree LIT");
    expect(windowStart(text, at, 9)).toBe(0);
  });
});

describe("LinearRegex.exec with a window", () => {
  const patterns: Array<[string, string]> = [
    [
      "(?:# Environment\\n)?(?:You have been invoked in the following environment: *\\n)?(?<environment> - Primary working directory:[^\\n]*(?:\\n {1,4}- (?:Platform|Shell):[^\\n]*)*)",
      "",
    ],
    ["(?:# gitStatus\\n[^\\n]*\\n+|gitStatus: [^\\n]*\\n+)?(?<git>Current branch: [^\\n]*(?:\\n+[A-Z][^\\n:;.]*:[^\\n]*(?:\\n[^\\n]+)*)*)", ""],
    ["(?:# currentDate\\n)?(?<date>Today's date is [^\\n]*)", ""],
    ["(?:^|\\n)[ -]*You are powered by the model\\b[^\\n]*\\n*", ""],
    ["^Contents of [^\\n]*?:", "m"],
    ["\\bab(?<tail>c+)\\b", ""],
    ["(?:x\\n){0,2}ab", ""],
  ];
  const pieces = [
    "\n",
    "\n\n",
    " ",
    "- ",
    "x",
    "ab",
    "c",
    "cc",
    ":",
    "# Environment\n",
    "You have been invoked in the following environment: \n",
    " - Primary working directory: /w",
    "  - Platform: linux",
    "gitStatus: on\n",
    "# gitStatus\n",
    "Current branch: main",
    "Status:",
    "Today's date is 2026",
    "# currentDate\n",
    "You are powered by the model",
    "Contents of ",
    "x\n",
  ];

  it.each(patterns)("/%s/%s finds what JavaScript's own engine finds", (source, flags) => {
    expect(findRequiredLiteral(source, flags)).toBeDefined();
    const ours = compileLinearRegex(source, flags);
    const js = new RegExp(source, flags);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }), (parts) => {
        const text = parts.join("");
        const theirs = js.exec(text);
        const found = ours.exec(text);
        expect(found?.text ?? null).toBe(theirs?.[0] ?? null);
        if (theirs !== null) expect({ ...found?.groups }).toEqual({ ...theirs.groups });
      }),
      { numRuns: 1500 },
    );
  });
});
