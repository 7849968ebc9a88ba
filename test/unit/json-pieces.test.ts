/**
 * A large upstream body is sent as its JSON value's text in pieces (issue 24): the pieces, joined,
 * are JSON.stringify's text to the character, whatever the value; no piece is much longer than
 * asked; and only a body that is really large is sent that way.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bodyBytes, bodyChars, bodyStart, clipBody, PIECEWISE_MIN_CHARS, upstreamBody } from "../../src/backends/upstream-body.js";
import { hasCharsAtLeast, jsonPieces, textSlices } from "../../src/shared/json-text.js";

/** JSON values whose strings reach past small pieces, with every kind of character: escapes, surrogate pairs, lone halves. */
const text = fc.string({ unit: fc.constantFrom("a", "é", "日", "🙂", '"', "\\", "\n", "\u0001", "\ud800", "\udc00", "\u2028"), maxLength: 80 });
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 6 }),
  object: fc.dictionary(text, fc.oneof(tie("value"), fc.constant(undefined)), { maxKeys: 6 }),
}));

describe("jsonPieces", () => {
  it("joined, is JSON.stringify's text, for any value and piece size", () => {
    fc.assert(
      fc.property(json.value, fc.integer({ min: 1, max: 40 }), (value, pieceChars) => {
        expect([...jsonPieces(value, pieceChars)].join("")).toBe(JSON.stringify(value));
      }),
      { seed: 24, numRuns: 500 },
    );
  });

  it("writes what has no JSON form as JSON.stringify does: left out of an object, null in an array", () => {
    const value = { a: undefined, b: () => 1, c: [undefined, Symbol("s"), 1], d: "x".repeat(50) };
    expect([...jsonPieces(value, 8)].join("")).toBe(JSON.stringify(value));
  });

  it("makes pieces of about the size asked for, one at a time, never splitting a surrogate pair", () => {
    const value = { messages: [{ content: `${"p".repeat(99)}🙂${"q".repeat(1_000)}` }] };
    const pieces = [...jsonPieces(value, 100)];
    expect(pieces.length).toBeGreaterThan(10);
    // A piece is at most the size asked for, one more where a surrogate pair would be cut.
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(100 + 1);
    expect(pieces.join("")).toContain("🙂");
    expect([...textSlices("ab🙂cd", 3)]).toEqual(["ab🙂", "cd"]);
    // A lone half before a pair: the cut after it is between two characters, the pair's is not.
    expect([...textSlices("\ud800🙂x", 1)]).toEqual(["\ud800", "🙂", "x"]);
  });
});

describe("hasCharsAtLeast", () => {
  it("counts the text of strings and keys, and stops once it has enough", () => {
    expect(hasCharsAtLeast({ a: "x".repeat(10) }, 10)).toBe(true);
    expect(hasCharsAtLeast({ a: "x" }, 100)).toBe(false);
    expect(hasCharsAtLeast([1, 2, 3], 1_000)).toBe(false);
  });
});

describe("upstreamBody", () => {
  it("is JSON text under PIECEWISE_MIN_CHARS, as every request Claude Code sends is", () => {
    const value = { model: "m", messages: [{ role: "user", content: "x".repeat(100_000) }] };
    expect(upstreamBody(value)).toBe(JSON.stringify(value));
  });

  it("over it, the value itself, with the text's length in characters and UTF-8 bytes counted once, and its start for the records", () => {
    const value = { model: "m", messages: [{ role: "user", content: `naïve 🙂 ${"p".repeat(PIECEWISE_MIN_CHARS)}` }] };
    const body = upstreamBody(value);
    const whole = JSON.stringify(value);
    expect(typeof body).toBe("object");
    expect(bodyChars(body)).toBe(whole.length);
    expect(bodyBytes(body)).toBe(Buffer.byteLength(whole));
    expect(bodyStart(body, 100).startsWith(whole.slice(0, 100))).toBe(true);
    expect(clipBody(body, 100)).toBe(`${whole.slice(0, 100)}… [${(whole.length - 100).toLocaleString("en-US")} more chars cut by mallex]`);
  });
});
