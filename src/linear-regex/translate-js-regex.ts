/**
 * A JavaScript regex source rewritten for RE2 syntax with JavaScript's meaning kept where the two
 * differ (`\s`, `\S` and `.`), or the reason it needs a backtracking engine. RE2 has no
 * backreferences and no lookahead: with them a pattern cannot run in time linear in its input.
 */
export type Translation = { source: string } | { reason: string };

/** JavaScript's `\s`: ASCII whitespace, the Unicode space separators, line terminators and the BOM. */
const SPACE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];

const hex = (code: number) => `\\x{${code.toString(16)}}`;
const range = ([from, to]: readonly [number, number]) => (from === to ? hex(from) : `${hex(from)}-${hex(to)}`);

/** `\s` inside a class: its ranges, without brackets. */
const SPACE_SET = SPACE_RANGES.map(range).join("");
/** `\S` inside a class: every code point `\s` does not match. */
const NOT_SPACE_SET = complement(SPACE_RANGES).map(range).join("");
/** `.` without the `s` flag: anything but JavaScript's line terminators. */
const DOT = `[^\\n\\r${hex(0x2028)}${hex(0x2029)}]`;

function complement(ranges: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let next = 0;
  for (const [from, to] of ranges) {
    if (from > next) out.push([next, from - 1]);
    next = to + 1;
  }
  out.push([next, 0x10ffff]);
  return out;
}

/**
 * Walks the source once, by JavaScript's syntax (escapes, character classes, groups), and rewrites
 * what RE2 reads differently. Everything else is left for re2js's own translation (named groups,
 * `\u` escapes, `\cX`, `[^]`).
 */
export function translateJsRegex(source: string, flags: string): Translation {
  const dotAll = flags.includes("s");
  let out = "";
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === "\\") {
      const next = source[i + 1] ?? "";
      if (!inClass && /[1-9]/.test(next)) return { reason: `backreference \\${next} needs a backtracking engine` };
      if (next === "k" && source[i + 2] === "<") return { reason: "named backreference \\k<…> needs a backtracking engine" };
      if (next === "s") out += inClass ? SPACE_SET : `[${SPACE_SET}]`;
      else if (next === "S") out += inClass ? NOT_SPACE_SET : `[${NOT_SPACE_SET}]`;
      else out += `\\${next}`;
      i += 1;
      continue;
    }
    if (inClass) {
      if (ch === "]") inClass = false;
      out += ch;
      continue;
    }
    if (ch === "[") {
      // A `]` right after `[` or `[^` closes the class in JavaScript (`[^]`: any character), not in RE2.
      if (source.startsWith("[^]", i)) {
        out += `[${hex(0)}-${hex(0x10ffff)}]`;
        i += 2;
        continue;
      }
      if (source[i + 1] === "]") return { reason: "an empty character class [] never matches; remove it" };
      inClass = true;
      out += ch;
      if (source[i + 1] === "^") {
        out += "^";
        i += 1;
      }
      continue;
    }
    if (ch === "(" && source[i + 1] === "?" && (source[i + 2] === "=" || source[i + 2] === "!")) {
      return { reason: `lookahead (?${source[i + 2]}…) needs a backtracking engine; match the text itself, or a character class of what may follow` };
    }
    out += ch === "." && !dotAll ? DOT : ch;
  }
  return { source: out };
}
