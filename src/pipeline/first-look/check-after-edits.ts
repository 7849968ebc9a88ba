import type { AnthropicContentBlock, AnthropicMessageParam } from "../../translate/anthropic-types.js";
import { blocksOf, EDITING_TOOLS, succeededEdits, toolCallsOf, toolResultText } from "../../translate/tool-calls/conversation-blocks.js";
import { BASH_TOOL, namedCommands } from "./run-named-commands.js";
import { latestTask } from "./read-named-files.js";
import { mentions, renameOf } from "./search-named-symbols.js";
import { readFiles } from "../../translate/tool-calls/whole-file-write.js";

/**
 * `tools.check_after_edits`: once the model has changed a file for a request that quotes a command to
 * run or that fails (run-named-commands.ts: "`npm test` fails…", "…run `node main.js` to check it"),
 * mallex runs that command again itself, with Bash, before the model is asked; where it still fails,
 * the model is asked for the file it changed again (ask-whole-file.ts); where it now passes, having
 * failed before the edit, mallex ends the turn saying so. This is Aider's loop (its edit
 * benchmark gives a model the tests' output and a second try): the real Qwen2.5-Coder-1.5B, its edit
 * made, answered "Done" without running anything, and a wrong fix ended the task; asked again once
 * `npm test` passed after its fix, it wrote the file back as it had read it, the bug in again. At most
 * MAX_CHECKS runs after the first edit, so a model that cannot fix it does not loop.
 */
export const MAX_CHECKS = 3;

/**
 * The commands to run again now (`turns`: the conversation without its `role: "system"` messages):
 * those the user's latest request names to run, where the last turn is the results of the model's
 * calls, one an edit that succeeded, that ran none of them, and fewer than MAX_CHECKS have run since
 * the first edit. None otherwise.
 */
export function commandsToCheck(turns: readonly AnthropicMessageParam[]): string[] {
  const task = latestTask(turns);
  if (task === undefined || turns.length - task.at < 3) return [];
  const commands = namedCommands(task.words);
  const calls = toolCallsOf(turns.at(-2)!);
  const edited = succeededEdits(turns.at(-2)!, turns.at(-1)).length > 0;
  if (commands.length === 0 || !edited || calls.some((call) => runsOneOf(call, commands))) return [];
  const since = turns.slice(task.at + 1).flatMap((message) => (message.role === "assistant" ? toolCallsOf(message) : []));
  const firstEdit = since.findIndex((call) => EDITING_TOOLS.has(call.name));
  const checks = since.slice(firstEdit).filter((call) => runsOneOf(call, commands)).length;
  return checks < MAX_CHECKS ? commands : [];
}

/**
 * The command of a check that failed, where the last turn is the result of a Bash call of a command
 * the user's request names to run, after an edit, and that command failed (its result an error: Claude
 * Code marks a non-zero exit so); undefined otherwise.
 */
export function failedCheck(turns: readonly AnthropicMessageParam[], task: string): string | undefined {
  if (turns.length < 2) return undefined;
  return runsIn(turns.at(-2)!, turns.at(-1)!, namedCommands(task)).find((run) => run.failed)?.command;
}

/**
 * The command of a check that passed where it had failed: the last turn is the result of a Bash call
 * of a command the user's request names, no error, a file has been changed since the request, and
 * that command's first run since the request failed — or the request renames a name of the code and
 * no file the conversation has shown says the old name any more. A command that passed before any
 * change (`node main.js` halfway through a rename) says nothing of the change; undefined then, and
 * otherwise.
 */
export function passedCheck(turns: readonly AnthropicMessageParam[]): string | undefined {
  const task = latestTask(turns);
  if (task === undefined || turns.length - task.at < 5) return undefined;
  const commands = namedCommands(task.words);
  const since = turns.slice(task.at + 1);
  const runs = since.flatMap((message, at) => (message.role === "assistant" && at + 1 < since.length ? runsIn(message, since[at + 1]!, commands) : []));
  const last = runsIn(since.at(-2)!, since.at(-1)!, commands).find((run) => !run.failed);
  const edited = since.some((message) => message.role === "assistant" && toolCallsOf(message).some((call) => EDITING_TOOLS.has(call.name)));
  const first = last === undefined ? undefined : runs.find((run) => run.command === last.command);
  const renamed = renameOf(task.words);
  const renameDone = renamed !== undefined && !readFiles(turns).some((file) => mentions(file.text, renamed.from));
  return last !== undefined && edited && (first?.failed === true || renameDone) ? last.command : undefined;
}

/** A run of a command the request names: the command, whether it failed (its result an error) and what it printed. */
export interface NamedRun {
  command: string;
  failed: boolean;
  output: string;
}

/** The runs of `commands` among the calls of `asked`, with Bash, and their results in `answered`. */
export function runsIn(asked: AnthropicMessageParam, answered: AnthropicMessageParam, commands: readonly string[]): NamedRun[] {
  return toolCallsOf(asked).flatMap((call) => {
    if (!runsOneOf(call, commands)) return [];
    const result = blocksOf(answered).find((block) => block.type === "tool_result" && block.tool_use_id === call.id);
    if (result?.type !== "tool_result") return [];
    return [{ command: (call.input as { command: string }).command.trim(), failed: result.is_error === true, output: toolResultText(result.content) }];
  });
}

function runsOneOf(call: AnthropicContentBlock, commands: readonly string[]): boolean {
  if (call.type !== "tool_use" || call.name !== BASH_TOOL) return false;
  const command = (call.input as { command?: unknown }).command;
  return typeof command === "string" && commands.includes(command.trim());
}
