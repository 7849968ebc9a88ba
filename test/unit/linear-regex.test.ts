import { describe, expect, it } from "vitest";
import { compileLinearRegex, LinearRegexError } from "../../src/linear-regex/compile-linear-regex.js";
import { translateJsRegex } from "../../src/linear-regex/translate-js-regex.js";

const DISCLAIMER = "\\s*(?:IMPORTANT: this context may or may not be relevant to your tasks\\.|Claude Code attached this context automatically;)[^\\n]*";

describe("compileLinearRegex: JavaScript's meaning, RE2's time", () => {
  it("tests, execs with named groups and replaces like String.replace", () => {
    const date = compileLinearRegex("(?:# currentDate\\n)?(?<date>Today's date is [^\\n]*)", "");
    expect(date.exec("x\n# currentDate\nToday's date is 2026-11-23.\nmore")).toEqual({
      text: "# currentDate\nToday's date is 2026-11-23.",
      groups: { date: "Today's date is 2026-11-23." },
    });
    expect(date.exec("nothing here")).toBeNull();
    const source = compileLinearRegex("^(Contents of [^\\n]*?) \\([^()\\n]*instructions[^()\\n]*\\):", "m");
    expect(source.replace("a\nContents of /p/CLAUDE.md (project instructions, checked in):\nbody", "$1:")).toBe("a\nContents of /p/CLAUDE.md:\nbody");
    expect(compileLinearRegex("a", "").replace("banana", "[$&]")).toBe("b[a]nana");
    expect(compileLinearRegex("a", "g").replace("banana", "o")).toBe("bonono");
    expect(compileLinearRegex("(?<w>n)a", "g").replace("banana", "$<w>")).toBe("bann");
    expect(compileLinearRegex("HELLO", "i").test("well, hello")).toBe(true);
  });

  it("execs as RegExp.exec does: the first match and its named groups, an unmatched group undefined, past surrogate pairs and lookbehinds", () => {
    const cases: Array<[source: string, flags: string, texts: string[]]> = [
      [
        "(?:# currentDate\\n)?(?<date>Today's date is [^\\n]*)",
        "",
        ["x\n# currentDate\nToday's date is 1.\nToday's date is 2.", "😀 Today's date is 😀.", "none"],
      ],
      ["(?<a>x)|(?<b>y)", "", ["zzy", "xy", "zz"]],
      ["(?<head>- [^\\n]*)(?:\\n(?<more>  [^\\n]*))?", "", ["- one\n  two\n- three", "- alone", "\u{1F600}- emoji\n  next"]],
      ["(?<=gitStatus: )(?<git>[^\\n]+)", "", ["gitStatus: clean\ngitStatus: dirty", "no status"]],
      ["^(?<line>[A-Z][^\\n]*)$", "m", ["lower\nUpper one\nUpper two", "lower only"]],
      ["(plain)(?<named>[0-9]+)?", "i", ["a PLAIN b plain7", "nothing"]],
    ];
    for (const [source, flags, texts] of cases) {
      const linear = compileLinearRegex(source, flags);
      for (const text of texts) {
        const expected = new RegExp(source, flags).exec(text);
        const expectedGroups = expected?.groups === undefined ? {} : { ...expected.groups };
        expect(linear.exec(text), `${source} on ${JSON.stringify(text)}`).toEqual(expected === null ? null : { text: expected[0], groups: expectedGroups });
      }
    }
  });

  it("keeps JavaScript's \\s, \\S and . (RE2's are ASCII-only and let \\r through)", () => {
    expect(compileLinearRegex("a\\sb", "").test("a\u00a0b")).toBe(true);
    expect(compileLinearRegex("a\\sb", "").test("a\u2028b")).toBe(true);
    expect(compileLinearRegex("^[\\S]+$", "").test("ab\u00a0")).toBe(false);
    expect(compileLinearRegex("^[\\S]+$", "").test("abc😀")).toBe(true);
    expect(compileLinearRegex("a.b", "").test("a\rb")).toBe(false);
    expect(compileLinearRegex("a.b", "s").test("a\rb")).toBe(true);
    expect(compileLinearRegex("[^]", "").test("\n")).toBe(true);
    expect(compileLinearRegex("(?<![\\w-])Agent", "").test("use Agent")).toBe(true);
    expect(compileLinearRegex("(?<![\\w-])Agent", "").test("SubAgent")).toBe(false);
  });

  it("refuses what needs backtracking, naming the construct", () => {
    const reason = (source: string) => {
      try {
        compileLinearRegex(source, "");
      } catch (error) {
        expect(error).toBeInstanceOf(LinearRegexError);
        return (error as Error).message;
      }
      throw new Error(`${source} compiled`);
    };
    expect(reason("(a)\\1")).toMatch(/backreference \\1/);
    expect(reason("(?<x>a)\\k<x>")).toMatch(/named backreference/);
    expect(reason("a(?!b)")).toMatch(/lookahead \(\?!…\)/);
    expect(reason("a(?=b)")).toMatch(/lookahead \(\?=…\)/);
    expect(reason("[]")).toMatch(/empty character class/);
    expect(reason("(unclosed")).toMatch(/missing closing \)/);
    expect(() => compileLinearRegex("a", "y")).toThrow(/flag "y"/);
    // Inside a class, \1 and (?= are characters, not constructs.
    expect(translateJsRegex("[(?=]", "")).toEqual({ source: "[(?=]" });
  });

  it("runs the shipped relevance filter over 1 MB of spaces in linear time", () => {
    const filter = compileLinearRegex(DISCLAIMER, "");
    const spaces = " ".repeat(1 << 20);
    expect(filter.test(spaces)).toBe(false);
    expect(filter.replace(`keep${spaces}IMPORTANT: this context may or may not be relevant to your tasks. x\nrest`, "")).toBe("keep\nrest");
  });

  it("runs a catastrophic team pattern without backtracking", () => {
    const catastrophic = compileLinearRegex("(\\w+\\s?)+ZZZQQQ", "");
    expect(catastrophic.test("word ".repeat(200_000))).toBe(false);
    expect(catastrophic.test(`${"word ".repeat(1000)}ZZZQQQ`)).toBe(true);
  });
});
