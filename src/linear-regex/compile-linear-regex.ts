import { RE2JS } from "re2js";
import { findRequiredLiteral, windowStart } from "./find-required-literal.js";
import { translateJsRegex } from "./translate-js-regex.js";

/**
 * A regex from mallex.yaml or a team's rule file, run by re2js (RE2's automata, in JavaScript): its
 * time is linear in the text, whatever the pattern, so no rule and no request can hold the one event
 * loop every client shares. Written in JavaScript's syntax, with JavaScript's `\s`, `\S` and `.`; it
 * holds no state between calls, so one compiled regex serves every request.
 */
export interface LinearRegex {
  readonly source: string;
  readonly flags: string;
  /** Whether the pattern matches anywhere in `text`. */
  test(text: string): boolean;
  /** The first match, with its named groups, or null. */
  exec(text: string): LinearMatch | null;
  /** `text` with the first match (every match with the `g` flag) replaced; `$1`, `$<name>`, `$&` as in String.replace. */
  replace(text: string, replacement: string): string;
}

export interface LinearMatch {
  /** The whole match. */
  text: string;
  groups: Readonly<Record<string, string | undefined>>;
}

/** Why a pattern cannot run in linear time, or does not parse; `message` says which and why. */
export class LinearRegexError extends Error {
  override name = "LinearRegexError";
}

/** re2js's anchor for a search that may start anywhere from its start position (RE2Flags.UNANCHORED, not exported). */
const UNANCHORED = 0;

/** The JavaScript flags mallex.yaml allows (the schema: `[gimsu]`); `u` changes nothing in RE2, which is always Unicode. */
const FLAG_BITS: Readonly<Record<string, number>> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL, g: 0, u: 0 };

/**
 * Compiles a JavaScript-syntax pattern into a LinearRegex, or throws a LinearRegexError naming the
 * construct that needs backtracking (a backreference, a lookahead) or the syntax error.
 *
 * @example
 * compileLinearRegex("\\s*IMPORTANT:[^\\n]*", "").replace(" ".repeat(300_000) + "x", "") // linear, not 83 s
 */
export function compileLinearRegex(source: string, flags: string): LinearRegex {
  let bits = RE2JS.LOOKBEHINDS;
  for (const flag of flags) {
    const bit = FLAG_BITS[flag];
    if (bit === undefined) throw new LinearRegexError(`flag "${flag}" is not supported (use i, m, s, u, g)`);
    bits |= bit;
  }
  const translated = translateJsRegex(source, flags);
  if ("reason" in translated) throw new LinearRegexError(translated.reason);
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(translated.source), bits);
  } catch (error) {
    throw new LinearRegexError(describeSyntaxError(error));
  }
  const global = flags.includes("g");
  const required = findRequiredLiteral(source, flags);
  const named = Object.entries(re.namedGroups());
  // One search that records the named groups' bounds as it goes: a Matcher finds the match, then
  // runs it again from its start to find a group, twice the automaton's work over the match.
  const bounds = named.length > 0 ? 1 + re.groupCount() : 1;
  const machine = re.re2();
  return {
    source,
    flags,
    test: (text) => re.test(text),
    exec: (text) => {
      // No match starts before the window (see findRequiredLiteral): the search for the first one
      // begins there, seeing the text before it as context (^, \b), and finds the same match.
      let from = 0;
      if (required !== undefined) {
        const at = text.indexOf(required.literal);
        if (at < 0) return null;
        from = windowStart(text, at, required.breaksBefore);
      }
      const [found, ends] = machine.matchWithGroup(text, from, text.length, UNANCHORED, bounds) as [boolean, number[] | null];
      if (!found || ends === null) return null;
      const span = (group: number) => (ends[2 * group]! < 0 ? undefined : text.slice(ends[2 * group], ends[2 * group + 1]));
      const groups: Record<string, string | undefined> = Object.create(null);
      for (const [name, group] of named) groups[name] = span(group);
      return { text: span(0) ?? "", groups };
    },
    replace: (text, replacement) => (global ? re.matcher(text).replaceAll(replacement) : re.matcher(text).replaceFirst(replacement)),
  };
}

/** re2js's message for a pattern RE2 refuses, as one sentence about the pattern. */
function describeSyntaxError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^error parsing regexp: /, "");
}
