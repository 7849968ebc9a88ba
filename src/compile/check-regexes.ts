import type { ConfigView } from "./config-view.js";
import { SIZES } from "./routing-table.js";

/** Every regex in the config must compile with its flags; the runtime never meets a bad one. */
export function checkRegexes(view: ConfigView): void {
  const check = (source: string, flags: string, path: (string | number)[]) => {
    try {
      new RegExp(source, flags);
    } catch (error) {
      const reason = (error as Error).message.replace(/^Invalid regular expression: /, "");
      view.report("regex-invalid", path, `invalid regex: ${reason}`, "escape special characters such as ( [ { with a backslash");
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
