import { suggestName } from "../config/suggest-name.js";
import { CLAUDE_CODE_TOOLS, isClaudeCodeTool } from "../shared/claude-code-tools.js";
import type { ConfigView } from "./config-view.js";
import { SIZES } from "./routing-table.js";

/**
 * `tools.<size>.allow` acts on Claude Code's built-in tools only: a name that is not one of them
 * (a typo, an MCP tool, another client's tool) does nothing, which the author should hear about — a
 * misspelt built-in would otherwise be dropped without a word. A warning: compiling goes on.
 */
export function checkToolPolicy(view: ConfigView): void {
  const builtIns = [...CLAUDE_CODE_TOOLS];
  for (const size of SIZES) {
    (view.config.tools?.[size]?.allow ?? []).forEach((name, index) => {
      if (isClaudeCodeTool(name)) return;
      const guess = suggestName(name, builtIns);
      view.report(
        "tools-allow-not-builtin",
        ["tools", size, "allow", index],
        `tools.${size}.allow names "${name}", which is not one of Claude Code's built-in tools: allow acts on those only, and every other tool is kept`,
        guess ? `did you mean "${guess}"?` : `remove it (it is kept anyway), or remove the tool with drop: ["${name}"]`,
        { warning: true },
      );
    });
  }
}
