import type { AnthropicMessageParam, AnthropicToolUseBlock } from "../../translate/anthropic-types.js";
import { succeededEdits } from "../../translate/tool-calls/conversation-blocks.js";
import { absolute, EDIT_TASK, latestTask, namedToChange, namedToCreate } from "./read-named-files.js";
import { namedCommands } from "./run-named-commands.js";
import { defines, namedSymbol, renameOf } from "./search-named-symbols.js";
import { fileTexts, readFiles } from "../../translate/tool-calls/whole-file-write.js";

/**
 * `tools.end_after_edits`: a user's request that names the files to change or write ("Implement
 * `to_roman` in roman.py…", "Write `wordcount.py`: …") and no command to run is done once each of
 * those files has been changed, so mallex ends the turn there, saying so, instead of asking the model
 * what next. Asked after its Write of roman.py had succeeded, the real Qwen2.5-Coder-0.5B wrote the
 * same Write again, then again (mlx_lm.server: 3 minutes, past the eval's limit, the file already
 * right); after wordcount.py it made 10 Edits that changed nothing; the 1.5B wrote the Write's result
 * message into the file it had just written. A request that names no file but quotes a name of the
 * code ("…the constant `MAX_RETRIES` is defined. Change its value to 5.") is about the one file read
 * that defines it: there the 0.5B's first Write of limits.js was right, and its next turns (an Edit
 * that changed nothing, another Write) changed the other limits too. A request that names commands is
 * ended by tools.check_after_edits once they pass; a rename, or a request about every use or caller,
 * changes more than the files it names.
 *
 * The files done (absolute paths, in the order named) where the last turn is the results of the
 * model's calls, one an edit that succeeded, and every file the request is about (its files to change
 * or write, or else the one file read that defines the name it quotes) has been changed since it: edited,
 * and not back to its text before; undefined otherwise.
 */
export function editsDone(turns: readonly AnthropicMessageParam[], folder: string): string[] | undefined {
  const task = latestTask(turns);
  if (task === undefined || turns.length - task.at < 3 || !EDIT_TASK.test(task.words)) return undefined;
  if (namedCommands(task.words).length > 0 || renameOf(task.words) !== undefined || MANY_PLACES.test(task.words)) return undefined;
  const files = [...new Set([...namedToChange(task.words), ...namedToCreate(task.words)].map((name) => absolute(folder, name)))];
  const named = files.length > 0 ? files : definingFile(task.words, turns);
  // The paths each message's edits changed, by their results: none before the task.
  const edited = turns.map((message, at) => (at > task.at && message.role === "assistant" ? succeededEdits(message, turns[at + 1]).flatMap(pathOf) : []));
  if (named.length === 0 || edited.at(-2)!.length === 0) return undefined;
  const now = readFiles(turns);
  // Changed since the task: edited, and not back to its text before the first edit (a Write of it as read
  // is answered by Claude Code as a change made; the 1.5B wrote text.py back unimplemented so).
  const changed = (path: string) => {
    const first = edited.findIndex((paths) => paths.includes(path));
    if (first === -1) return false;
    const before = readFiles(turns.slice(0, first)).find((file) => file.path === path)?.text;
    const after = now.find((file) => file.path === path)?.text;
    return before === undefined || after === undefined || before.trimEnd() !== after.trimEnd();
  };
  return named.every(changed) ? named : undefined;
}

/** Words of a request about more places than it names: every use, all callers. */
const MANY_PLACES = /\b(?:every|everywhere|all|each|callers?|uses|usages?|references?|occurrences?)\b/i;

/** The one file the conversation has shown defining the name the request quotes (as read, or as written since): none where it quotes none, or no file or several define it. */
function definingFile(words: string, turns: readonly AnthropicMessageParam[]): string[] {
  const symbol = namedSymbol(words);
  if (symbol === undefined) return [];
  const defining = [...fileTexts(turns)].filter(([, texts]) => texts.some((text) => defines(text, symbol))).map(([path]) => path);
  return defining.length === 1 ? defining : [];
}

/** An edit's file, where its input names one. */
function pathOf(call: AnthropicToolUseBlock): string[] {
  const path = (call.input as { file_path?: unknown } | null)?.file_path;
  return typeof path === "string" ? [path] : [];
}
