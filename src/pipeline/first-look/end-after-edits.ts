import type { AnthropicMessageParam } from "../../translate/anthropic-types.js";
import { blocksOf, EDITING_TOOLS, toolCallsOf } from "../../translate/tool-calls/conversation-blocks.js";
import { absolute, EDIT_TASK, latestTask, namedToChange, namedToCreate } from "./read-named-files.js";
import { namedCommands } from "./run-named-commands.js";
import { renameOf } from "./search-named-symbols.js";

/**
 * `tools.end_after_edits`: a user's request that names the files to change or write ("Implement
 * `to_roman` in roman.py…", "Write `wordcount.py`: …") and no command to run is done once each of
 * those files has been changed, so mallex ends the turn there, saying so, instead of asking the model
 * what next. Asked after its Write of roman.py had succeeded, the real Qwen2.5-Coder-0.5B wrote the
 * same Write again, then again (mlx_lm.server: 3 minutes, past the eval's limit, the file already
 * right); after wordcount.py it made 10 Edits that changed nothing; the 1.5B wrote the Write's result
 * message into the file it had just written. A request that names commands is ended by
 * tools.check_after_edits once they pass; a rename changes every file that says the name, not only
 * those named.
 *
 * The files done (absolute paths, in the order named) where the last turn is the results of the
 * model's calls, one an edit that succeeded, and every file the request names to change or write has
 * been changed by an edit that succeeded since it; undefined otherwise.
 */
export function editsDone(turns: readonly AnthropicMessageParam[], folder: string): string[] | undefined {
  const task = latestTask(turns);
  if (task === undefined || turns.length - task.at < 3 || !EDIT_TASK.test(task.words)) return undefined;
  if (namedCommands(task.words).length > 0 || renameOf(task.words) !== undefined) return undefined;
  const named = [...new Set([...namedToChange(task.words), ...namedToCreate(task.words)].map((name) => absolute(folder, name)))];
  const since = turns.slice(task.at + 1);
  const changed = new Set(since.flatMap((message, at) => (message.role === "assistant" ? succeededEdits(message, since[at + 1]) : [])));
  const justNow = succeededEdits(since.at(-2)!, since.at(-1));
  if (named.length === 0 || justNow.length === 0 || !named.every((path) => changed.has(path))) return undefined;
  return named;
}

/** The paths the edits among `asked`'s calls changed: those whose result in `answered` is no error. */
function succeededEdits(asked: AnthropicMessageParam, answered: AnthropicMessageParam | undefined): string[] {
  const results = answered === undefined ? [] : blocksOf(answered);
  const succeeded = (id: string) => results.some((block) => block.type === "tool_result" && block.tool_use_id === id && block.is_error !== true);
  return toolCallsOf(asked).flatMap((call) => {
    const path = EDITING_TOOLS.has(call.name) ? (call.input as { file_path?: unknown } | null)?.file_path : undefined;
    return typeof path === "string" && succeeded(call.id) ? [path] : [];
  });
}
