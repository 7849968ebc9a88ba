/**
 * What lets a search for a regex's first match skip the text no match can start in: a literal every
 * match contains, and how many runs of line breaks the part of a match before that literal can hold.
 * A match then starts at most that many runs of line breaks above the literal's first occurrence, so
 * the search may begin there (windowStart) and find the same first match: re2js's search for a
 * match's bounds (its NFA) costs ~0.1 µs a character, and a keep rule's environment, git or date line
 * sits near the end of a system prompt of 6–27 KB. Read from the JavaScript source with its meaning
 * (mallex.yaml's syntax); anything this reading does not know gives no literal, never a wrong one.
 */
export interface RequiredLiteral {
  /** Text every match contains, case and all. */
  literal: string;
  /** The most runs of `\n` (each one or more in a row) a match holds before the literal. */
  breaksBefore: number;
}

/** A piece of a pattern as this reading sees it. */
interface Shape {
  /** The most runs of `\n` a match of it holds (Infinity: no bound). */
  breaks: number;
  /** It matches only `\n`s (then repeating it adds no run). */
  onlyBreaks: boolean;
  /** Its best required literal and the runs of line breaks before it inside this piece. */
  literal?: RequiredLiteral;
  /** A single character it always matches (a literal run's next letter), when it is one. */
  char?: string;
}

class Unknown extends Error {}

/**
 * The literal for `source` with `flags`, or undefined when there is none this reading can vouch for
 * (case-insensitive patterns, lookbehinds, alternatives at the top, syntax it does not read).
 */
export function findRequiredLiteral(source: string, flags: string): RequiredLiteral | undefined {
  // A lookbehind makes re2js read from the text's start whatever the window: nothing to gain.
  if (flags.includes("i") || source.includes("(?<=") || source.includes("(?<!")) return undefined;
  try {
    const reader = new PatternReader(source, flags.includes("s"));
    const shape = reader.alternation();
    if (reader.pos !== source.length) return undefined;
    return shape.literal;
  } catch (error) {
    if (error instanceof Unknown) return undefined;
    throw error;
  }
}

/**
 * Where a search may start: `breaksBefore` runs of line breaks above `at` (the literal's first
 * occurrence), at the start of that line; no match starts before it.
 */
export function windowStart(text: string, at: number, breaksBefore: number): number {
  let pos = at;
  for (let run = 0; ; run++) {
    while (pos > 0 && text.charCodeAt(pos - 1) !== 10) pos--;
    if (run === breaksBefore || pos === 0) return pos;
    while (pos > 0 && text.charCodeAt(pos - 1) === 10) pos--;
  }
}

const NONE: Shape = { breaks: 0, onlyBreaks: false };

/** Prefers the literal with fewer line breaks before it, then the longer one. */
function better(a: RequiredLiteral | undefined, b: RequiredLiteral | undefined): RequiredLiteral | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a.breaksBefore !== b.breaksBefore) return a.breaksBefore < b.breaksBefore ? a : b;
  return b.literal.length > a.literal.length ? b : a;
}

class PatternReader {
  pos = 0;
  constructor(
    private readonly source: string,
    private readonly dotAll: boolean,
  ) {}

  /** `a|b|…`: a literal only when there is one alternative. */
  alternation(): Shape {
    const alternatives = [this.sequence()];
    while (this.source[this.pos] === "|") {
      this.pos++;
      alternatives.push(this.sequence());
    }
    if (alternatives.length === 1) return alternatives[0]!;
    return {
      breaks: Math.max(...alternatives.map((shape) => shape.breaks)),
      onlyBreaks: alternatives.every((shape) => shape.onlyBreaks),
    };
  }

  /** Terms one after another: literal runs of single characters, and required groups' own literals. */
  sequence(): Shape {
    let breaks = 0;
    let onlyBreaks = true;
    let consumes = false;
    let best: RequiredLiteral | undefined;
    let run = "";
    let runBreaks = 0;
    const endRun = () => {
      if (run !== "") best = better(best, { literal: run, breaksBefore: runBreaks });
      run = "";
    };
    while (this.pos < this.source.length && this.source[this.pos] !== "|" && this.source[this.pos] !== ")") {
      const atom = this.atom();
      const [min, max] = this.quantifier();
      if (atom.assertion === true) {
        if (min !== 1 || max !== 1) throw new Unknown();
        endRun();
        continue;
      }
      if (min === 1 && max === 1 && atom.char !== undefined) {
        if (run === "") runBreaks = breaks;
        run += atom.char;
      } else {
        endRun();
        if (min >= 1 && atom.literal !== undefined) best = better(best, { literal: atom.literal.literal, breaksBefore: breaks + atom.literal.breaksBefore });
      }
      const shape = repeat(atom, min, max);
      breaks += shape.breaks;
      onlyBreaks &&= shape.onlyBreaks;
      consumes = true;
    }
    endRun();
    return { breaks, onlyBreaks: onlyBreaks && consumes, ...(best === undefined ? {} : { literal: best }) };
  }

  quantifier(): [number, number] {
    const ch = this.source[this.pos];
    let bounds: [number, number] | undefined;
    if (ch === "?") bounds = [0, 1];
    else if (ch === "*") bounds = [0, Infinity];
    else if (ch === "+") bounds = [1, Infinity];
    else if (ch === "{") {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.pos));
      if (match === null) throw new Unknown();
      const min = Number(match[1]);
      const max = match[2] === undefined ? min : match[3] === "" ? Infinity : Number(match[3]);
      this.pos += match[0].length - 1;
      bounds = [min, max];
    }
    if (bounds === undefined) return [1, 1];
    this.pos++;
    if (this.source[this.pos] === "?") this.pos++;
    return bounds;
  }

  atom(): Shape & { assertion?: boolean } {
    const ch = this.source[this.pos]!;
    if (ch === "(") return this.group();
    if (ch === "[") return this.characterClass();
    if (ch === "^" || ch === "$") {
      this.pos++;
      return { ...NONE, assertion: true };
    }
    if (ch === ".") {
      this.pos++;
      return this.dotAll ? { breaks: 1, onlyBreaks: false } : NONE;
    }
    if (ch === "\\") return this.escape();
    // A quantifier with nothing to repeat, or a bracket or brace that may be a literal or a syntax error.
    if ("*+?{}]".includes(ch)) throw new Unknown();
    this.pos++;
    return literalChar(ch);
  }

  group(): Shape {
    const rest = this.source.slice(this.pos);
    const opener = /^\((\?:|\?<[A-Za-z_$][\w$]*>)?/.exec(rest);
    if (opener === null || rest.startsWith("(?=") || rest.startsWith("(?!") || (rest.startsWith("(?") && opener[1] === undefined)) throw new Unknown();
    this.pos += opener[0].length;
    const inner = this.alternation();
    if (this.source[this.pos] !== ")") throw new Unknown();
    this.pos++;
    // A group is one term: its literal stays its own, a run of single characters does not run through it.
    return { breaks: inner.breaks, onlyBreaks: inner.onlyBreaks, ...(inner.literal === undefined ? {} : { literal: inner.literal }) };
  }

  escape(): Shape & { assertion?: boolean } {
    const next = this.source[this.pos + 1];
    if (next === undefined) throw new Unknown();
    this.pos += 2;
    if (next === "b" || next === "B") return { ...NONE, assertion: true };
    // \s, \W and \D match a line break; \S, \w and \d do not.
    if (next === "s" || next === "W" || next === "D") return { breaks: 1, onlyBreaks: false };
    if (next === "S" || next === "w" || next === "d") return NONE;
    const code = this.escapedCode(next);
    if (code === undefined) throw new Unknown();
    return literalChar(String.fromCharCode(code));
  }

  /** `[…]`: no literal; whether it can match a line break, and whether only a line break. */
  characterClass(): Shape {
    this.pos++;
    const negated = this.source[this.pos] === "^";
    if (negated) this.pos++;
    let coversBreak = false;
    let onlyBreak = true;
    let items = 0;
    while (this.source[this.pos] !== "]") {
      if (this.pos >= this.source.length) throw new Unknown();
      const from = this.classItem();
      let covers = from.code === 10 || from.set === "with-break";
      let only = from.code === 10;
      if (this.source[this.pos] === "-" && this.source[this.pos + 1] !== "]") {
        this.pos++;
        const to = this.classItem();
        if (from.code === undefined || to.code === undefined) throw new Unknown();
        covers = from.code <= 10 && 10 <= to.code;
        only = from.code === 10 && to.code === 10;
      }
      coversBreak ||= covers;
      onlyBreak &&= only;
      items++;
    }
    this.pos++;
    // [^…] matches a line break unless it names one; […] only when it does.
    if (negated ? coversBreak : !coversBreak) return NONE;
    return { breaks: 1, onlyBreaks: !negated && items > 0 && onlyBreak };
  }

  /** One character of a class (its code) or a class escape (`\s`…: whether it holds a line break). */
  classItem(): { code?: number; set?: "with-break" | "without-break" } {
    const ch = this.source[this.pos]!;
    if (ch !== "\\") {
      this.pos++;
      return { code: ch.charCodeAt(0) };
    }
    const next = this.source[this.pos + 1];
    if (next === undefined) throw new Unknown();
    this.pos += 2;
    if (next === "s" || next === "W" || next === "D") return { set: "with-break" };
    if (next === "S" || next === "w" || next === "d") return { set: "without-break" };
    const code = this.escapedCode(next);
    if (code === undefined) throw new Unknown();
    return { code };
  }

  /** The character an escape stands for (`\n`, `\t`, `\x41`, `\u0041`, `\.`), past its end; undefined for one this reading does not know. */
  escapedCode(next: string): number | undefined {
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, f: 12, v: 11 };
    if (simple[next] !== undefined) return simple[next];
    if (next === "x" || next === "u") {
      const digits = next === "x" ? 2 : 4;
      const hex = this.source.slice(this.pos, this.pos + digits);
      if (!(digits === 2 ? /^[0-9a-fA-F]{2}$/ : /^[0-9a-fA-F]{4}$/).test(hex)) return undefined;
      this.pos += digits;
      return parseInt(hex, 16);
    }
    // Punctuation escaped to stand for itself.
    if (/^[\\^$.*+?()[\]{}|/\-'"#:<>=!,&%@`~;]$/.test(next)) return next.charCodeAt(0);
    return undefined;
  }
}

function literalChar(ch: string): Shape {
  return ch === "\n" ? { breaks: 1, onlyBreaks: true, char: ch } : { breaks: 0, onlyBreaks: false, char: ch };
}

/** An atom repeated min to max times: its runs of line breaks multiply, unless it matches only `\n`s. */
function repeat(atom: Shape, min: number, max: number): Shape {
  if (min === 1 && max === 1) return atom;
  if (max === 0) return NONE;
  if (atom.breaks === 0) return { breaks: 0, onlyBreaks: false };
  if (atom.onlyBreaks) return { breaks: 1, onlyBreaks: true };
  return { breaks: max === Infinity ? Infinity : atom.breaks * max, onlyBreaks: false };
}
