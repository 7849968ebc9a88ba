import type { AnthropicContentBlock, AnthropicMessageParam, AnthropicToolUseBlock } from "../../translate/anthropic-types.js";
import { namedCommands } from "./run-named-commands.js";
import { usersWords } from "./read-named-files.js";

/**
 * `tools.check_after_edits`: once the model has changed a file for a request that quotes a command to
 * run or that fails (run-named-commands.ts: "`npm test` fails…", "…run `node main.js` to check it"),
 * mallex runs that command again itself, with Bash, before the model is asked; where it still fails,
 * the model is asked for the file it changed again (ask-whole-file.ts). This is Aider's loop (its edit
 * benchmark gives a model the tests' output and a second try): the real Qwen2.5-Coder-1.5B, its edit
 * made, answered "Done" without running anything, and a wrong fix ended the task. At most MAX_CHECKS
 * runs after the first edit, so a model that cannot fix it does not loop.
 */
export const MAX_CHECKS = 3;

const BASH_TOOL = "Bash";

/** The tools that change a file. */
export const EDITING_TOOLS: ReadonlySet<string> = new Set(["Write", "Edit", "MultiEdit", "NotebookEdit"]);

/**
 * The commands to run again now (`turns`: the conversation without its `role: "system"` messages):
 * those the user's latest request names to run, where the last turn is the results of the model's
 * calls, one an edit that succeeded, that ran none of them, and fewer than MAX_CHECKS have run since
 * the first edit. None otherwise.
 */
export function commandsToCheck(turns: readonly AnthropicMessageParam[]): string[] {
  const taskAt = turns.findLastIndex((message) => message.role === "user" && usersWords(message) !== undefined);
  if (taskAt < 0 || turns.length - taskAt < 3) return [];
  const commands = namedCommands(usersWords(turns[taskAt]!)!);
  const calls = blocks(turns.at(-2)!).filter((block): block is AnthropicToolUseBlock => block.type === "tool_use");
  const results = blocks(turns.at(-1)!).filter((block) => block.type === "tool_result");
  const edited = calls.some((call) => EDITING_TOOLS.has(call.name) && results.some((result) => result.tool_use_id === call.id && result.is_error !== true));
  if (commands.length === 0 || !edited || calls.some((call) => runsOneOf(call, commands))) return [];
  const since = turns.slice(taskAt + 1).flatMap((message) => (message.role === "assistant" ? blocks(message) : []));
  const firstEdit = since.findIndex((block) => block.type === "tool_use" && EDITING_TOOLS.has(block.name));
  const checks = since.slice(firstEdit).filter((block) => block.type === "tool_use" && runsOneOf(block, commands)).length;
  return checks < MAX_CHECKS ? commands : [];
}

/**
 * The command of a check that failed, where the last turn is the result of a Bash call of a command
 * the user's request names to run, after an edit, and that command failed (its result an error: Claude
 * Code marks a non-zero exit so); undefined otherwise.
 */
export function failedCheck(turns: readonly AnthropicMessageParam[], task: string): string | undefined {
  if (turns.length < 2) return undefined;
  const commands = namedCommands(task);
  const calls = blocks(turns.at(-2)!);
  for (const result of blocks(turns.at(-1)!)) {
    if (result.type !== "tool_result" || result.is_error !== true) continue;
    const call = calls.find((block) => block.type === "tool_use" && block.id === result.tool_use_id);
    if (call?.type === "tool_use" && runsOneOf(call, commands)) return (call.input as { command: string }).command;
  }
  return undefined;
}

function runsOneOf(call: AnthropicContentBlock, commands: readonly string[]): boolean {
  if (call.type !== "tool_use" || call.name !== BASH_TOOL) return false;
  const command = (call.input as { command?: unknown }).command;
  return typeof command === "string" && commands.includes(command.trim());
}

function blocks(message: AnthropicMessageParam): AnthropicContentBlock[] {
  return typeof message.content === "string" ? [] : message.content;
}
