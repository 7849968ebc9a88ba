import type { CompiledRegex, RoutingTable } from "./routing-table.js";
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

/** A short text each regex runs over once when warmed: re2js's matchers are compiled by V8 on first use. */
const WARM_TEXT = "warm-up\n";

/**
 * The regexes requests run that compileRouterRules does not compile at load: the filters, the keep
 * rules and the tool policies' drop globs, each a step of its own (compiled and run once over a
 * short text). The proxy takes them one turn of the event loop at a time once it listens: a fresh
 * proxy's first request compiled them all, ~50 ms of CPU before its first token (and V8's first run
 * of re2js's matchers on top).
 */
export function regexWarmSteps(table: RoutingTable): Array<() => void> {
  const regexes = new Set<CompiledRegex>();
  for (const filter of table.filters) regexes.add(filter.pattern);
  for (const trimming of Object.values(table.trimming)) for (const rule of trimming.keep) if (rule.pattern !== undefined) regexes.add(rule.pattern);
  for (const policy of Object.values(table.tools)) for (const { pattern } of policy.drop) regexes.add(pattern);
  return [...regexes].map((regex) => () => {
    const linear = linearRegexOf(regex);
    linear.test(WARM_TEXT);
    linear.exec(WARM_TEXT);
    linear.replace(WARM_TEXT, "");
  });
}
