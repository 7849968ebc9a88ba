import { compileLinearRegex } from "../linear-regex/compile-linear-regex.js";
import type { ConfigView } from "./config-view.js";
import { SIZES } from "./routing-table.js";

/** How much of a pattern an error quotes: a rule file's pattern can be any length. */
const QUOTED_PATTERN_CHARS = 80;

/**
 * Every regex in the config must be valid JavaScript and run in linear time (mallex runs them with
 * re2js: see compileLinearRegex), so the runtime never meets a bad one and no rule can freeze the
 * event loop: a backreference or a lookahead is refused here, naming the pattern and why.
 */
export function checkRegexes(view: ConfigView): void {
  const check = (source: string, flags: string, path: (string | number)[]) => {
    try {
      new RegExp(source, flags);
    } catch (error) {
      const reason = (error as Error).message.replace(/^Invalid regular expression: /, "");
      view.report("regex-invalid", path, `invalid regex: ${reason}`, "escape special characters such as ( [ { with a backslash");
      return;
    }
    try {
      compileLinearRegex(source, flags);
    } catch (error) {
      view.report(
        "regex-not-linear",
        path,
        `regex ${quote(source)} cannot run in linear time: ${(error as Error).message}`,
        "mallex runs rules with RE2 semantics (no backreferences or lookahead), so no input can freeze it; rewrite the pattern without them",
      );
    }
  };
  (view.config.intents ?? []).forEach((intent, i) => {
    const flags = intent.match.flags ?? "i";
    intent.match.prompt?.forEach((source, j) => check(source, flags, ["intents", i, "match", "prompt", j]));
    intent.match.not_prompt?.forEach((source, j) => check(source, flags, ["intents", i, "match", "not_prompt", j]));
  });
  (view.config.filters ?? []).forEach((filter, i) => check(filter.pattern, filter.flags ?? "", ["filters", i, "pattern"]));
  for (const size of SIZES) {
    (view.config.trimming?.[size]?.keep ?? []).forEach((rule, i) => {
      if (rule.pattern !== undefined) check(rule.pattern, rule.flags ?? "", ["trimming", size, "keep", i, "pattern"]);
    });
  }
}

function quote(source: string): string {
  const shown = source.length > QUOTED_PATTERN_CHARS ? `${source.slice(0, QUOTED_PATTERN_CHARS)}…` : source;
  return JSON.stringify(shown);
}
