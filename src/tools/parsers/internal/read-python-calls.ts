/**
 * Reads Python call syntax as Llama 3.2 / 4 and LFM2 write tool calls: `[f(a="x", b=[1, 2]), g()]`.
 * Arguments are keyword-only Python literals (strings in either quote, numbers, True/False/None,
 * lists, tuples, dicts). Anything else (a positional argument, an expression, a variable) is not a
 * call we can run, so the reader refuses rather than guesses.
 */

export interface PythonCall {
  readonly name: string;
  readonly args: Record<string, unknown>;
}

export type PythonCallList =
  { readonly ok: true; readonly calls: readonly PythonCall[]; readonly end: number } | { readonly ok: false; readonly reason: string };

const NAME = /[A-Za-z_][\w.-]*/y;
const KEYWORD = /[A-Za-z_]\w*/y;
const NUMBER = /-?(?:\d[\d_]*)?(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORDS: Readonly<Record<string, unknown>> = {
  True: true,
  False: false,
  None: null,
  true: true,
  false: false,
  null: null,
};
const ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  t: "\t",
  r: "\r",
  "0": "\0",
  "\\": "\\",
  "'": "'",
  '"': '"',
  "\n": "",
};

class Failure {
  constructor(readonly reason: string) {}
}

/** A cursor over the text; every read either advances or throws a Failure, caught at the top. */
class Reader {
  position: number;

  constructor(
    readonly text: string,
    from: number,
  ) {
    this.position = from;
  }

  fail(reason: string): never {
    throw new Failure(reason);
  }

  skipSpace(): void {
    while (/\s/.test(this.text.charAt(this.position))) this.position++;
  }

  peek(): string {
    this.skipSpace();
    return this.text.charAt(this.position);
  }

  eat(char: string): boolean {
    if (this.peek() !== char) return false;
    this.position++;
    return true;
  }

  expect(char: string, what: string): void {
    if (!this.eat(char)) this.fail(this.position >= this.text.length ? "the tool call is cut off" : what);
  }

  match(pattern: RegExp): string | null {
    this.skipSpace();
    pattern.lastIndex = this.position;
    const found = pattern.exec(this.text)?.[0] ?? "";
    if (found === "") return null;
    this.position += found.length;
    return found;
  }

  /** Reads items up to `close`, allowing a trailing comma. */
  sequence(close: string, readItem: () => void): void {
    while (!this.eat(close)) {
      readItem();
      if (this.eat(close)) return;
      this.expect(",", "the tool call's arguments are not separated by commas");
    }
  }

  string(): string {
    const quote = this.text.charAt(this.position);
    const triple = this.text.startsWith(quote.repeat(3), this.position);
    const delimiter = triple ? quote.repeat(3) : quote;
    let value = "";
    let at = this.position + delimiter.length;
    for (;;) {
      if (at >= this.text.length) this.fail("the tool call is cut off");
      if (this.text.startsWith(delimiter, at)) break;
      const char = this.text.charAt(at);
      if (char === "\n" && !triple) this.fail("a string in the tool call is not closed on its line");
      if (char === "\\") {
        const next = this.text.charAt(at + 1);
        const unicode = /^(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2}))/.exec(this.text.slice(at + 1, at + 6));
        if (unicode !== null) {
          value += String.fromCharCode(Number.parseInt(unicode[1] ?? unicode[2] ?? "", 16));
          at += 1 + unicode[0].length;
          continue;
        }
        // Python keeps an unknown escape as written (`"\d"` is backslash + d).
        value += ESCAPES[next] ?? char + next;
        at += 2;
        continue;
      }
      value += char;
      at++;
    }
    this.position = at + delimiter.length;
    return value;
  }

  value(): unknown {
    const char = this.peek();
    if (char === '"' || char === "'") return this.string();
    if (char === "[" || char === "(") {
      this.position++;
      const items: unknown[] = [];
      this.sequence(char === "[" ? "]" : ")", () => items.push(this.value()));
      return items;
    }
    if (char === "{") {
      this.position++;
      const entries: Array<[string, unknown]> = [];
      this.sequence("}", () => {
        const key = this.value();
        if (typeof key !== "string" && typeof key !== "number") this.fail("a dict key in the tool call is not a string");
        this.expect(":", "a dict in the tool call has no value for a key");
        entries.push([String(key), this.value()]);
      });
      return Object.fromEntries(entries);
    }
    const word = this.match(KEYWORD);
    if (word !== null) {
      if (word in WORDS) return WORDS[word];
      this.fail(`the tool call's value ${word} is not a literal`);
    }
    const number = this.match(NUMBER);
    if (number !== null && number !== "-" && Number.isFinite(Number(number.replaceAll("_", "")))) {
      return Number(number.replaceAll("_", ""));
    }
    return this.fail(this.position >= this.text.length ? "the tool call is cut off" : "the tool call's arguments are not Python literals");
  }

  call(): PythonCall {
    const name = this.match(NAME);
    if (name === null) this.fail("the tool call has no tool name");
    this.expect("(", "the tool call has no argument list");
    const entries: Array<[string, unknown]> = [];
    this.sequence(")", () => {
      const key = this.match(KEYWORD);
      if (key === null || !this.eat("=")) this.fail("the tool call has a positional argument");
      entries.push([key, this.value()]);
    });
    // fromEntries defines own properties, so an argument named "__proto__" is kept.
    return { name, args: Object.fromEntries(entries) as Record<string, unknown> };
  }
}

/**
 * Reads `[call, …]` starting at `from` (leading whitespace allowed), or, with `bracketed: false`,
 * calls separated by commas up to the end of the text (Llama 4 sometimes drops the brackets).
 */
export function readPythonCalls(text: string, from: number, bracketed = true): PythonCallList {
  const reader = new Reader(text, from);
  try {
    const calls: PythonCall[] = [];
    if (bracketed) {
      reader.expect("[", "the tool call list does not start with [");
      reader.sequence("]", () => calls.push(reader.call()));
    } else {
      do calls.push(reader.call());
      while (reader.eat(","));
    }
    if (calls.length === 0) return { ok: false, reason: "the tool call list is empty" };
    return { ok: true, calls, end: reader.position };
  } catch (error) {
    // Anything else is a stack overflow on absurd nesting: still not a call, and parsers never throw.
    return {
      ok: false,
      reason: error instanceof Failure ? error.reason : "the tool call is nested too deeply",
    };
  }
}
