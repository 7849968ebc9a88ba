import type { CompiledRegex } from "./routing-table.js";
import { compileLinearRegex, type LinearRegex } from "../linear-regex/compile-linear-regex.js";

/**
 * Compiled once per regex of a loaded routing table, not once per request: re2js compiles a rule in
 * milliseconds, every request runs them all. Keyed by the table's own object, so a memo entry lives
 * exactly as long as the table that holds it (a reloaded table compiles afresh); a LinearRegex keeps
 * no state between calls, so sharing one between requests is safe. The table's regexes were checked
 * by `mallex compile` (checkRegexes), so this does not throw for a table it wrote.
 */
const compiled = new WeakMap<CompiledRegex, LinearRegex>();

export function linearRegexOf(regex: CompiledRegex): LinearRegex {
  let linear = compiled.get(regex);
  if (linear === undefined) {
    linear = compileLinearRegex(regex.source, regex.flags);
    compiled.set(regex, linear);
  }
  return linear;
}
