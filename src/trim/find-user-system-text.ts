import { CLAUDE_CODE_OWN_LINES } from "./claude-code-own-lines.js";
import { linePrint } from "./line-print.js";

/**
 * What a user wrote into a Claude Code system prompt: every line that is not Claude Code's own (a
 * line some checked release writes, CLAUDE_CODE_OWN_LINES) and not inside a part a keep rule placed
 * (`placed`: the environment, the git status). That is `--append-system-prompt` and
 * `--system-prompt`, an output style, the `language` setting, an MCP server's instructions — and,
 * from a release newer than the checked ones, its new sentences, which are kept rather than lost
 * (the drift line names them). Passages in prompt order: runs of such lines with the blank lines
 * between them, without blank lines around them (indentation kept).
 */
export function findUserSystemText(text: string, placed: readonly string[], own: ReadonlySet<string> = CLAUDE_CODE_OWN_LINES): string[] {
  let rest = text;
  for (const part of placed) {
    const at = part === "" ? -1 : rest.indexOf(part);
    if (at >= 0) rest = `${rest.slice(0, at)}\n${rest.slice(at + part.length)}`;
  }
  const passages: string[] = [];
  let current: string[] = [];
  let blanks: string[] = [];
  const close = () => {
    if (current.length > 0) passages.push(current.join("\n").trimEnd());
    current = [];
    blanks = [];
  };
  for (const line of rest.split("\n")) {
    const print = linePrint(line);
    if (print === undefined) {
      if (current.length > 0) blanks.push(line);
    } else if (own.has(print)) close();
    else {
      current.push(...blanks, line);
      blanks = [];
    }
  }
  close();
  return passages;
}
