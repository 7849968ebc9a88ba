import type { MessagesRequest } from "../../translate/anthropic-types.js";
import { BILLING_HEADER_PREFIX } from "../apply-block-filters.js";
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
export function findUserSystemText(
  text: string,
  placed: readonly string[],
  own: ReadonlySet<string> = CLAUDE_CODE_OWN_LINES,
  print: (line: string) => string | undefined = linePrint,
): string[] {
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
    const printed = print(line);
    if (printed === undefined) {
      if (current.length > 0) blanks.push(line);
    } else if (own.has(printed)) close();
    else {
      current.push(...blanks, line);
      blanks = [];
    }
  }
  close();
  return passages;
}

/**
 * The line a user's own system prompt opens with, where it takes the place of Claude Code's: `claude
 * --system-prompt`, or a custom subagent's prompt (the body of its `.claude/agents/*.md`, which
 * Claude Code sends as that subagent's system prompt, its own notes and environment after it). Known
 * by structure: Claude Code (2.1.100–2.1.332) sends its identity line as a block of its own after the
 * billing block, and the block after that opens with its own prompt's first line ("You are an
 * interactive agent…", a built-in subagent's "You are a file search specialist…") unless the user
 * replaced it. Undefined when the prompt opens with Claude Code's own line, or is not in blocks.
 */
export function replacedPromptStart(
  system: MessagesRequest["system"],
  own: ReadonlySet<string> = CLAUDE_CODE_OWN_LINES,
  print: (line: string) => string | undefined = linePrint,
): string | undefined {
  if (system === undefined || typeof system === "string") return undefined;
  const blocks = system.map((block) => block.text).filter((text) => !text.startsWith(BILLING_HEADER_PREFIX) && text.trim() !== "");
  // Claude Code's identity: a block of its own lines only, before the prompt.
  const isOwn = (line: string) => {
    const printed = print(line);
    return printed === undefined || own.has(printed);
  };
  const identity = blocks.findIndex((text) => !text.split("\n").every(isOwn));
  if (identity <= 0) return undefined;
  const first = blocks[identity]!.split("\n").find((line) => line.trim() !== "");
  return first === undefined || isOwn(first) ? undefined : first;
}
