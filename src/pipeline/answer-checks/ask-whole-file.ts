import { basename } from "node:path";
import type { AnthropicMessageParam, AnthropicToolUseBlock, MessagesRequest } from "../../translate/anthropic-types.js";
import type { CompiledProfile } from "../../compile/routing-table.js";
import { READ_TOOL, readFiles, withPlainReads, type ReadFile, type Renamed } from "../../translate/tool-calls/whole-file-write.js";
import { absolute, EDIT_TASK, FILE_NAME, latestTask, namedToChange, namedToCreate } from "../first-look/read-named-files.js";
import { systemPromptText, workingDirectoryOf } from "../../trim/system-prompt/working-directory.js";
import { failedCheck } from "../first-look/check-after-edits.js";
import { mentions, renameOf } from "../first-look/search-named-symbols.js";
import { BASH_TOOL, namedCommands } from "../first-look/run-named-commands.js";
import { blocksOf, changedFiles, toolCallsOf, toolResultText } from "../../translate/tool-calls/conversation-blocks.js";

/**
 * With `tools.whole_file_writes`, what mallex adds after a file's Read when the user's task asks for
 * a change: the real Qwen2.5-Coder-1.5B, having read roman.py for "Implement `to_roman` in roman.py",
 * wrote the file back unchanged (as a ```python block, or a Write of the Read result) 4 times of 4;
 * with this after the Read it answered with the file implemented 4 of 4. Asked for "the whole new
 * file" unnamed, or with the task restated before it, or "if the task asks for a change…", it wrote
 * it back unchanged every time: a model this small follows one plain instruction that names the file.
 * A rename is named in it: asked for users.js "the change made" after "Rename the function
 * `getUserName` to `displayNameOf`…", it wrote the file back unchanged 4 times of 4 (llama-server,
 * temperature 0.2); asked for it "with `getUserName` renamed to `displayNameOf`", it renamed it 4 of 4.
 * A file the conversation showed before its last turn is shown again before the ask (`shown`): asked
 * for greet.js after its own users.js and the check's failure, the model wrote users.js again 3 times
 * of 4; with greet.js shown in the ask, it renamed greet.js 4 of 4. A task that fell behind more than
 * one turn of calls is said again before the ask (`restated`): after a Grep for `MAX_RETRIES` and the
 * Reads of the three files it found, the real Qwen2.5-Coder-0.5B wrote limits.js back unchanged 6 times
 * of 6, and with "Somewhere in this project the constant `MAX_RETRIES` is defined. Change its value to
 * 5…" before the ask, it changed it 5 of 6; after a crash's run and two Reads, the 1.5B fixed
 * config.json 3 of 4 so, against 0 of 4 (llama-server, temperature 0.2). Right after the task (one
 * Read of roman.py) it is not: there the 0.5B implemented to_roman 4 of 6 asked plainly, 2 of 6 with
 * the task before. In the log (`forLog`), the file shown and the task are named, not written out.
 */
export function wholeFileAsk({ file, failed, refused, rename, shown, restated }: AskedFile, forLog = false): string {
  const name = basename(file.path);
  if (file.created === true) return `Now answer with the whole of the new file ${name} in one fenced code block.`;
  const change = rename === undefined ? "the change made" : `with \`${rename.from}\` renamed to \`${rename.to}\``;
  const again = shown !== true ? "" : forLog ? `(${name} shown) ` : `${name} is:\n${fenced(file)}\n`;
  const task = restated === undefined ? "" : forLog ? "(the task restated) " : `${restated}\n\n`;
  const failing = failed === undefined ? "" : `\`${failed}\` still fails. `;
  const refusal = refused === undefined ? "" : `That ${refused} of ${name} did not apply. `;
  return `${task}${failing}${refusal}${again}Now answer with the whole new ${name}, ${change}, in one fenced code block.`;
}

/**
 * The file the model is asked for; the command of the check that failed since its last change (absent:
 * it is asked after a Read); the rename the task asks for, where it asks for one; whether the file is
 * shown again in the ask (the conversation's last turn did not show it); the task's words, where they
 * are said again before the ask.
 */
export interface AskedFile {
  file: ReadFile;
  failed?: string;
  /** The tool of the model's edit of the file that the client refused just before (its old_string not in the file, its path the file's name alone). */
  refused?: string;
  rename?: Renamed;
  shown?: true;
  restated?: string;
}

/** The longest file shown again in an ask: a longer one costs more prefill than a small model's turn is worth. */
const MAX_SHOWN_CHARS = 6_000;

/** A file in a code fence, its extension the fence's language. */
function fenced({ path, text }: Pick<ReadFile, "path" | "text">): string {
  const language = /\.(\w+)$/.exec(path)?.[1] ?? "";
  return `\`\`\`${language}\n${text}${text.endsWith("\n") ? "" : "\n"}\`\`\``;
}

/**
 * The file to ask this request for ({@link wholeFileAsk}), where the user's task (their latest words)
 * asks for a change and either
 * - its last message is the result of a whole file's Read and no tool has changed a file since the
 *   task. Which of the files read since the task ({@link fileToChange}): one the task asks to change,
 *   by name; where it names none so, the newest one it does not name (found by the model or by
 *   mallex's first look: the config behind a crash, the file that defines a constant);
 * - or a file has been changed since the task, and the task renames a name of the code (`getUserName`
 *   to `displayNameOf`), its last message is a tool's result, and a file the conversation has shown
 *   still says the old name: that file, as the conversation last showed it;
 * - or, with `checkAfterEdits`, a file has been changed since the task and its last message is a
 *   command the task names, run again and failing (check-after-edits.ts): the file last changed, as
 *   the conversation last showed it, with that command (`failed`);
 * - or, whatever the task's words, its last message is the client's refusal of the model's Edit or
 *   MultiEdit of a file the conversation has shown whole (`refused`, {@link refusedEdit}).
 * Undefined where the ask does not apply.
 */
export function fileAskedFor(request: ConversationOf, profile: Pick<CompiledProfile, "checkAfterEdits"> = {}): AskedFile | undefined {
  const messages = request.messages.filter((message) => message.role !== "system");
  const created = fileToCreate(request);
  // Asked at once, or after what mallex or the model looked at first (a failed Read of it among them).
  if (created !== undefined && (latestTask(messages)?.at === messages.length - 1 || blocksOf(messages.at(-1)!).some((block) => block.type === "tool_result")))
    return { file: created };
  const asked = askedFile(messages, profile);
  if (asked === undefined) return undefined;
  const last = readFiles(messages.slice(-2));
  const seen = last.some((file) => file.path === asked.file.path) || asked.file.text.length > MAX_SHOWN_CHARS;
  return seen ? asked : { ...asked, shown: true };
}

/** A request's messages, and the system prompt that names the folder Claude Code works in. */
export type ConversationOf = Pick<MessagesRequest, "messages"> & Partial<Pick<MessagesRequest, "system">>;

/**
 * The file the latest task asks to be written or created ("Write `wordcount.py`: it reads text from
 * standard input…"), under the folder Claude Code works in, where the conversation has neither read
 * it nor changed any file since the task: a created ReadFile, its text empty. Asked for nothing, the
 * real Qwen2.5-Coder-1.5B answered such a task with a Write call in a ```json block, 4 times of 4
 * (llama-server, temperature 0.2), and in the eval never wrote the file; asked "Now answer with the
 * whole of the new file wordcount.py in one fenced code block.", it wrote a working one 4 of 4.
 */
export function fileToCreate(request: ConversationOf): ReadFile | undefined {
  const messages = request.messages.filter((message) => message.role !== "system");
  const latest = latestTask(messages);
  const name = latest === undefined ? undefined : namedToCreate(latest.words)[0];
  const folder = workingDirectoryOf(systemPromptText(request.system), []);
  if (name === undefined || folder === undefined) return undefined;
  const path = absolute(folder, name);
  const since = messages.slice(latest!.at + 1);
  if (since.some((message) => changedFiles(message).length > 0) || readFiles(messages).some((file) => file.path === path)) return undefined;
  return { path, text: "", created: true };
}

/** fileAskedFor without the file shown again. */
function askedFile(messages: readonly AnthropicMessageParam[], profile: Pick<CompiledProfile, "checkAfterEdits">): AskedFile | undefined {
  const latest = latestTask(messages);
  if (latest === undefined) return undefined;
  const task = latest.words;
  const since = messages.slice(latest.at + 1);
  const renamed = renameOf(task);
  const rename = renamed === undefined ? {} : { rename: renamed };
  // A rename is named in the ask already.
  const behind = renamed === undefined && since.filter((message) => message.role === "assistant").length > 1 && task.length <= MAX_RESTATED;
  const restated = behind ? { restated: task } : {};
  // The model's own edit, refused: whatever the task's words, it meant to change that file.
  const refused = refusedEdit(messages, latest.at + 1);
  if (refused !== undefined) return { ...refused, ...rename, ...restated };
  if (!EDIT_TASK.test(task)) return undefined;
  const changed = since.flatMap(changedFiles);
  if (changed.length === 0) {
    const file = since.length < 2 || readFiles(since.slice(-2)).length === 0 ? undefined : fileToChange(task, readFiles(since));
    return file === undefined ? undefined : { file, ...rename, ...restated };
  }
  const failed = profile.checkAfterEdits === true ? failedCheck(since, task) : undefined;
  const check = failed === undefined ? {} : { failed };
  // A rename is done file by file: after each change, the next file still saying the old name.
  const left = renamed === undefined ? undefined : readFiles(messages).find((known) => mentions(known.text, renamed.from));
  if (left !== undefined && blocksOf(since.at(-1)!).some((block) => block.type === "tool_result")) return { file: left, ...check, ...rename };
  const file = failed === undefined ? undefined : readFiles(messages).find((known) => known.path === changed.at(-1));
  return file === undefined ? undefined : { file, ...check, ...rename };
}

/**
 * The file of an Edit (or a MultiEdit) that Claude Code refused in the last message, where the
 * conversation has shown it whole and no Edit of it was refused before since the task (`from`): the
 * model meant to change it and cannot make an exact-match edit. The real Qwen2.5-Coder-0.5B, doing a
 * release chore its CLAUDE.md describes, made 10 Edits of CHANGELOG.md and package.json in a row, each
 * refused ("String to replace not found in file. String: old_string": it wrote the parameter's name as
 * its text), and changed nothing; in the next run, its Edits named the files by their names alone,
 * each refused as a file that does not exist. Asked once: asked for package.json whole after each
 * refusal, it answered with the same Edit every time, until the task's time ran out.
 */
function refusedEdit(messages: readonly AnthropicMessageParam[], from: number): Pick<AskedFile, "file" | "refused"> | undefined {
  const refusals = messages.slice(from).flatMap((message, at, since) => {
    if (at === 0) return [];
    const calls = toolCallsOf(since[at - 1]!);
    return blocksOf(message).flatMap((block) => {
      const call = block.type === "tool_result" && block.is_error === true ? calls.find((each) => each.id === block.tool_use_id) : undefined;
      const path = (call?.input as { file_path?: unknown } | undefined)?.file_path;
      return call === undefined || !REFUSABLE_EDITS.has(call.name) || typeof path !== "string"
        ? []
        : [{ path, refused: call.name, last: at === since.length - 1 }];
    });
  });
  if (!refusals.some((refusal) => refusal.last)) return undefined;
  // A path relative to the working directory is refused too ("File does not exist."): the file is the one it names.
  const files = readFiles(messages);
  const known = refusals.flatMap((refusal) => {
    const file = files.find((each) => isPathOf(each.path, refusal.path));
    return file === undefined ? [] : [{ ...refusal, file }];
  });
  const latest = known.find((refusal) => refusal.last);
  if (latest === undefined || known.some((refusal) => !refusal.last && refusal.file.path === latest.file.path)) return undefined;
  return { file: latest.file, refused: latest.refused };
}

const REFUSABLE_EDITS: ReadonlySet<string> = new Set(["Edit", "MultiEdit"]);

/** Whether `name` (a path, absolute or relative, or a file's name) names the file at the absolute `path`. */
function isPathOf(path: string, name: string): boolean {
  return path === name || path.endsWith(`/${name.replace(/^\.\//, "")}`);
}

/**
 * Of the files read since the task (newest first), the one the task is about changing. Asked for the
 * file last read, the 1.5B rewrote test_stats.py for "`python3 -m unittest test_stats.py` fails. Fix
 * the bug in stats.py", and was asked for app.js when "`node app.js` crashes" came of config.json.
 * So: a file the task names after a verb of change in the same sentence ("Fix the bug in stats.py",
 * "Implement `to_roman` in roman.py"); where it names none so, the newest it does not name at all.
 */
export function fileToChange(task: string, read: readonly ReadFile[]): ReadFile | undefined {
  const named = [...task.matchAll(FILE_NAME)].map((match) => match[1]!);
  const targets = namedToChange(task);
  const isOne = (names: readonly string[]) => (file: ReadFile) => names.some((name) => isPathOf(file.path, name));
  return targets.length > 0 ? read.find(isOne(targets)) : read.find((file) => !isOne(named)(file));
}

/**
 * With `tools.restate_questions`, what mallex adds after the Reads that follow a user's question (a
 * request that asks for no change): the question again, after the files. The real
 * Qwen2.5-Coder-1.5B, shown the four files of a project after "Which function in this project deletes
 * files from disk?", wrote `<tool_response>` blocks of its own instead of an answer; the question
 * had fallen behind three turns of calls and results. Undefined where it does not apply: a task that
 * asks for a change, nothing read last, a file changed since, a question too long to repeat.
 */
export function questionAsk(request: Pick<MessagesRequest, "messages">): string | undefined {
  const question = questionAfterReads(request.messages);
  return question === undefined ? undefined : `Now answer, from the files above: ${question}`;
}

/** The user's question where questionAsk applies: their words, asking for no change, after Reads, nothing changed since. */
function questionAfterReads(all: readonly AnthropicMessageParam[]): string | undefined {
  const messages = all.filter((message) => message.role !== "system");
  const latest = latestTask(messages);
  if (latest === undefined || EDIT_TASK.test(latest.words) || latest.words.length > MAX_RESTATED) return undefined;
  const since = messages.slice(latest.at + 1);
  if (since.length < 2 || readFiles(since.slice(-2)).length === 0 || since.some((message) => changedFiles(message).length > 0)) return undefined;
  return latest.words;
}

/**
 * With `tools.answer_from_files`, the user's words sent alone with what the conversation has looked at
 * (withQuestionAlone), with no tools, where they ask for no change and
 * - are a question (a sentence of it ends with `?`) that names no command to run, after Reads
 *   (where questionAsk applies): the files read, in the order read. The real Qwen2.5-Coder-1.5B, asked
 *   "Which function in this project deletes files from disk?" after a Glob and four Reads, called the
 *   same Glob again 4 times of 4 with the question restated, and 6 of 6 with the tools withheld but the
 *   calls left in the conversation; offered the tools, it named one ("Glob", "Delete"). With the files
 *   and the question alone, it answered `purge_stale` 6 of 6. Over 16 questions about the suite's
 *   projects, 51 answers of 64 were right alone against 42 restated; 2 questions went worse (docs/eval.md);
 * - or name commands to run, once each has run and nothing but those runs and Reads has happened
 *   since: the commands and what they printed, then the files read. The real Qwen2.5-Coder-0.5B, told
 *   to "Run `node tools/fingerprint.js` and tell me the fingerprint it prints" after mallex's run of it,
 *   called Bash or Edit again 6 times of 6 with the tools offered, and named the fingerprint 6 of 6 alone.
 * Undefined where it does not apply.
 */
export function questionAlone(request: Pick<MessagesRequest, "messages">): QuestionAlone | undefined {
  const messages = request.messages.filter((message) => message.role !== "system");
  const question = questionAfterReads(messages);
  if (question !== undefined && /\?(?:\s|$)/.test(question) && namedCommands(question).length === 0)
    return { question, runs: [], files: readFiles(messages).reverse() };
  const report = reportAfterRuns(messages);
  return report === undefined ? undefined : { ...report, files: readFiles(messages).reverse() };
}

/** The user's words sent alone: the commands run and the files read, oldest first. */
export interface QuestionAlone {
  question: string;
  runs: readonly CommandRun[];
  files: readonly ReadFile[];
}

/** A command the conversation ran, and what it printed. */
export interface CommandRun {
  command: string;
  output: string;
}

/** Where the latest task asks for no change and names commands, each run since, with only Reads beside: its words and the runs, in the order quoted. */
function reportAfterRuns(messages: readonly AnthropicMessageParam[]): { question: string; runs: CommandRun[] } | undefined {
  const latest = latestTask(messages);
  if (latest === undefined || EDIT_TASK.test(latest.words) || latest.words.length > MAX_RESTATED) return undefined;
  const commands = namedCommands(latest.words);
  const since = messages.slice(latest.at + 1);
  const calls = since.flatMap(toolCallsOf);
  const looked = (call: AnthropicToolUseBlock) => call.name === READ_TOOL || (call.name === BASH_TOOL && commands.includes(commandOf(call)));
  if (commands.length === 0 || calls.length === 0 || !calls.every(looked)) return undefined;
  const runs = commandRuns(since);
  const named = commands.map((command) => runs.findLast((run) => run.command === command));
  return named.every((run): run is CommandRun => run !== undefined) ? { question: latest.words, runs: named } : undefined;
}

/** The Bash calls of the messages that have their result, in order. */
function commandRuns(messages: readonly AnthropicMessageParam[]): CommandRun[] {
  const results = new Map(
    messages.flatMap((message) =>
      blocksOf(message).flatMap((block) => (block.type === "tool_result" ? [[block.tool_use_id, toolResultText(block.content)] as const] : [])),
    ),
  );
  return messages
    .flatMap(toolCallsOf)
    .filter((call) => call.name === BASH_TOOL && results.has(call.id))
    .map((call) => ({ command: commandOf(call), output: results.get(call.id)! }));
}

const commandOf = (call: AnthropicToolUseBlock): string => {
  const command = (call.input as { command?: unknown } | null)?.command;
  return typeof command === "string" ? command.trim() : "";
};

/** The request with its conversation replaced by one message, the runs, the files, then the question, and no tools offered. */
export function withQuestionAlone(request: MessagesRequest, { question, runs, files }: QuestionAlone): MessagesRequest {
  const { tools: _tools, tool_choice: _choice, ...rest } = request;
  const text = [
    ...runs.map((run) => `$ ${run.command}\n${fenced({ path: "", text: run.output.trimEnd() === "" ? "(no output)" : run.output })}`),
    ...files.map((file) => `${file.path}:\n${fenced(file)}`),
    question,
  ].join("\n\n");
  return { ...rest, messages: [{ role: "user", content: [{ type: "text", text }] }] };
}

/** How the log says what a question alone was sent with. */
export function describeAlone({ question, runs, files }: QuestionAlone): string {
  const looked = [
    ...(runs.length > 0 ? [`the commands run (${runs.map((run) => run.command).join(", ")})`] : []),
    ...(files.length > 0 ? [`the files read (${files.map((file) => basename(file.path)).join(", ")})`] : []),
  ];
  return `asked "${question}" alone, after ${looked.join(" and ")}, with no tools (tools.answer_from_files)`;
}

/** The longest question restated whole (a request longer than this is a brief, not a question). */
const MAX_RESTATED = 400;

/** The request to send with the ask after its last message (Claude Code's own words are left as they are). */
export function withAsk<T extends Pick<MessagesRequest, "messages">>(request: T, ask: string): T {
  return { ...request, messages: [...request.messages, { role: "user", content: [{ type: "text", text: ask }] }] };
}

/** With `tools.whole_file_writes`, every request's whole-file Reads go to the model without their line numbers (withPlainReads): the same on each turn, so the server's cache of the conversation holds. */
export function plainReadsFor<T extends Pick<MessagesRequest, "messages">>(profile: Pick<CompiledProfile, "wholeFileWrites">, request: T): T {
  return profile.wholeFileWrites === true ? { ...request, messages: withPlainReads(request.messages) } : request;
}
