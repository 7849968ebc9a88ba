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

/**
 * A model's text in the pieces a server could stream it in: whole, one character at a time, or
 * pieces of 1–12 characters drawn from a seed. Whole code points, never halves of a surrogate pair.
 */
export function splitText(text: string, how: "whole" | "char" | number): string[] {
  const chars = [...text];
  if (how === "whole") return [text];
  if (how === "char") return chars;
  const next = random(how);
  const pieces: string[] = [];
  for (let at = 0; at < chars.length;) {
    const size = 1 + Math.floor(next() * 12);
    pieces.push(chars.slice(at, at + size).join(""));
    at += size;
  }
  return pieces;
}
