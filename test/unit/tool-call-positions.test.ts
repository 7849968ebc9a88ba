/**
 * Issue 23: a call is a call only where the model's own format puts one. Every family, every
 * position, whole, in seeded random chunks and one character at a time, through the family's own
 * parser and through `auto` (the default).
 */
import { describe, expect, it } from "vitest";
import { createToolCallParser, type ToolCallFormat } from "../../src/tools/parsers/index.js";
import { positionCases, shapeOf, TOOL_NAMES } from "./tool-parser-corpus/call-positions.js";

/** A seeded generator (mulberry32), so a failing split can be reproduced. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Whole code points, as a server streams them. */
export function split(input: string, how: "whole" | "char" | number): string[] {
  const chars = [...input];
  if (how === "whole") return [input];
  if (how === "char") return chars;
  const next = random(how);
  const chunks: string[] = [];
  for (let at = 0; at < chars.length; ) {
    const size = 1 + Math.floor(next() * 12);
    chunks.push(chars.slice(at, at + size).join(""));
    at += size;
  }
  return chunks;
}

const SPLITS = ["whole", "char", 1, 2, 3, 4, 5] as const;
const cases = positionCases();

describe.each(["family", "auto"] as const)("call positions through the %s parser", (through) => {
  it.each(cases.map((entry) => [`${entry.family}: ${entry.kind}`, entry] as const))("%s", (_, entry) => {
    for (const how of SPLITS) {
      const parser = createToolCallParser(through === "auto" ? "auto" : (entry.family as ToolCallFormat), { toolNames: TOOL_NAMES });
      const events = [...split(entry.input, how).flatMap((chunk) => parser.feed(chunk)), ...parser.end()];
      expect(shapeOf(events), `split: ${String(how)}`).toEqual(entry.expected);
    }
  });
});

describe("the matrix", () => {
  it("covers every family in every kind", () => {
    const kinds = new Set(cases.map((entry) => entry.kind));
    const families = new Set(cases.map((entry) => entry.family));
    expect(families.size).toBe(22);
    expect(cases.length).toBe(kinds.size * families.size);
    expect(cases.filter((entry) => entry.negative).length).toBe(5 * 22);
  });
});
