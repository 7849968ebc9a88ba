import { basename } from "node:path";
import type { CompiledProfile } from "../../compile/routing-table.js";
import type { AnthropicCustomTool, AnthropicMessage, AnthropicMessageParam, AnthropicToolUseBlock, MessagesRequest } from "../../translate/anthropic-types.js";
import { systemPromptText, workingDirectoryOf } from "../../trim/system-prompt/working-directory.js";
import { READ_TOOL } from "../../translate/tool-calls/whole-file-write.js";
import { modelChoosesCalls } from "../answer-checks/model-chooses-calls.js";
import { latestTask, namedFiles, namedToChange, namesAFile, readPaths, usersWords } from "./read-named-files.js";
import { BASH_TOOL, namedCommands } from "./run-named-commands.js";
import { foundFiles, GREP_TOOL, namedSymbol, searchResultOf, symbolSearch } from "./search-named-symbols.js";
import { commandsToCheck, passedCheck } from "./check-after-edits.js";
import { followFailure } from "./follow-failures.js";
import { GLOB_TOOL, PROJECT_FILES, smallProjectFiles } from "./read-small-projects.js";
import { editsDone } from "./end-after-edits.js";

/**
 * What mallex looks at for the model before it is asked a user's request, where the profile turns it
 * on and the client offers the tool: the commands the request asks to run (tools.run_named_commands),
 * the files it names (tools.read_named_files), or else the name of the code it quotes, searched
 * (tools.search_named_symbols) — and, once that search's result is in, the files it found (`found`:
 * the name searched); or, after the model's edit, the request's commands again (`check`,
 * tools.check_after_edits); or the files a failing command's output points at, and then those they
 * load (`followed`, tools.follow_failures); or, once the files the request is about are changed, the end
 * (`done`, tools.end_after_edits).
 */
export interface FirstLook {
  readonly commands: readonly string[];
  readonly reads: readonly string[];
  readonly search?: string;
  readonly found?: string;
  readonly check?: true;
  readonly followed?: true;
  /** A command the request names that failed, passing after the model's edit: the turn ends, saying so (tools.check_after_edits). */
  readonly passes?: string;
  /** The files the request is about, each changed: the turn ends, saying so (tools.end_after_edits). */
  readonly done?: readonly string[];
  /** The project's files listed (`list`), then read where they are few (`listed`): tools.read_small_projects. */
  readonly list?: true;
  readonly listed?: true;
}

type Levers = Pick<
  CompiledProfile,
  "readNamedFiles" | "runNamedCommands" | "searchNamedSymbols" | "checkAfterEdits" | "followFailures" | "readSmallProjects" | "endAfterEdits"
>;

/** Each lever on, with the tools it calls offered. */
type On = Record<"run" | "read" | "search" | "check" | "follow" | "list" | "end", boolean>;

/** A request about the project as a whole ("Which function in this project…", "the release chore for this project"). */
const ABOUT_THE_PROJECT = /\b(?:project|repo(?:sitory)?|code ?base)\b/i;

/** The first look that answers this request, or undefined where there is nothing to look at (the model is asked). */
export function firstLook(profile: Levers, request: MessagesRequest, offeredTools: readonly AnthropicCustomTool[]): FirstLook | undefined {
  const offered = (name: string) => offeredTools.some((tool) => tool.name === name);
  const on: On = {
    run: profile.runNamedCommands === true && offered(BASH_TOOL),
    read: profile.readNamedFiles === true && offered(READ_TOOL),
    search: profile.searchNamedSymbols === true && offered(GREP_TOOL) && offered(READ_TOOL),
    check: profile.checkAfterEdits === true && offered(BASH_TOOL),
    follow: profile.followFailures === true && offered(READ_TOOL),
    list: profile.readSmallProjects === true && offered(GLOB_TOOL) && offered(READ_TOOL),
    end: profile.endAfterEdits === true,
  };
  if (!Object.values(on).includes(true) || !modelChoosesCalls(request)) return undefined;
  // Claude Code sends its `role: "system"` messages (the agents' list, a tool offered) after the user's.
  const turns = request.messages.filter((message) => message.role !== "system");
  if (turns.at(-1)?.role !== "user") return undefined;
  const folder = workingDirectoryOf(systemPromptText(request.system), []);
  const words = usersWords(turns.at(-1)!);
  return words === undefined ? lookAgain(on, turns, folder) : lookFirst(on, words, folder, readPaths(request.messages));
}

/** The look at what the user's request names: its commands run, its files read, else the name it quotes searched, else a small project read whole. */
function lookFirst(on: On, words: string, folder: string | undefined, read: ReadonlySet<string>): FirstLook | undefined {
  const commands = on.run ? namedCommands(words) : [];
  const reads = on.read && folder !== undefined ? namedFiles(words, folder, read, commands) : [];
  // A file named is where to look: the name is searched only where none is (a command's own file aside).
  const unquoted = commands.reduce((rest, command) => rest.replaceAll(`\`${command}\``, ""), words);
  const symbol = on.search && !namesAFile(unquoted) ? namedSymbol(words) : undefined;
  if (commands.length + reads.length > 0 || symbol !== undefined) return { commands, reads, ...(symbol === undefined ? {} : { search: symbol }) };
  const list = on.list && folder !== undefined && !namesAFile(words) && ABOUT_THE_PROJECT.test(words);
  return list ? { commands: [], reads: [], list: true } : undefined;
}

/** After a tool result: the check after an edit, the end once the request's files are changed, the failure followed, the files a search found, or the small project listed. */
function lookAgain(on: On, turns: readonly AnthropicMessageParam[], folder: string | undefined): FirstLook | undefined {
  if (on.check) {
    const checked = checkAgain(turns);
    if (checked !== undefined) return checked;
  }
  if (folder === undefined) return undefined;
  const done = on.end ? editsDone(turns, folder) : undefined;
  if (done !== undefined) return { commands: [], reads: [], done };
  const followed = on.follow ? followAgain(turns, folder) : undefined;
  const found = followed ?? (on.search ? readFound(turns, folder) : undefined);
  if (found !== undefined || !on.list) return found;
  const reads = smallProjectFiles(turns, folder).filter((path) => !readPaths(turns).has(path));
  return reads.length === 0 ? undefined : { commands: [], reads, listed: true };
}

/** The second look after mallex's own search: a Read of each file it found that the conversation has not read, the one that defines the name last. */
function readFound(turns: readonly AnthropicMessageParam[], folder: string): FirstLook | undefined {
  const words = turns.length >= 3 ? usersWords(turns.at(-3)!) : undefined;
  const symbol = words === undefined ? undefined : namedSymbol(words);
  const result = symbol === undefined ? undefined : searchResultOf(turns, symbol);
  if (result === undefined) return undefined;
  const read = readPaths(turns);
  const reads = foundFiles(result, folder, symbol!).filter((path) => !read.has(path));
  return reads.length === 0 ? undefined : { commands: [], reads, found: symbol! };
}

/** After the model's edit, the commands the request names to run, run again; once one that failed passes, the end (tools.check_after_edits). */
function checkAgain(turns: readonly AnthropicMessageParam[]): FirstLook | undefined {
  const commands = commandsToCheck(turns);
  if (commands.length > 0) return { commands, reads: [], check: true };
  const passes = passedCheck(turns);
  return passes === undefined ? undefined : { commands: [], reads: [], passes };
}

/** After a command the request names fails, the files its output points at, then the files they load (tools.follow_failures). */
function followAgain(turns: readonly AnthropicMessageParam[], folder: string): FirstLook | undefined {
  const task = latestTask(turns);
  if (task === undefined) return undefined;
  // The user named the file to change: it is where to look, and a test read after it drew the 1.5B into rewriting the two as one.
  if (namedToChange(task.words).length > 0) return undefined;
  const reads = followFailure(turns, task.at, folder, namedCommands(task.words));
  return reads.length === 0 ? undefined : { commands: [], reads, followed: true };
}

/**
 * The answer mallex gives instead of the model: each command's Bash, each file's Read, then the search
 * (`ids`: the message's, and one per call); or, for a command that passes now or the request's files
 * changed, the end of the turn, saying so. Nothing generated, so no tokens counted.
 */
export function firstLookAnswer(look: FirstLook, model: string, ids: { message: string; nextCall: () => string }): AnthropicMessage {
  const calls: Array<Pick<AnthropicToolUseBlock, "name" | "input">> = [
    ...look.commands.map((command) => ({ name: BASH_TOOL, input: { command } })),
    ...look.reads.map((path) => ({ name: READ_TOOL, input: { file_path: path } })),
    ...(look.search === undefined ? [] : [{ name: GREP_TOOL, input: symbolSearch(look.search) }]),
    ...(look.list === true ? [{ name: GLOB_TOOL, input: PROJECT_FILES }] : []),
  ];
  const end =
    look.passes !== undefined
      ? `\`${look.passes}\` passes now.`
      : look.done !== undefined
        ? `Changed ${look.done.map((path) => basename(path)).join(", ")}.`
        : undefined;
  return {
    id: ids.message,
    type: "message",
    role: "assistant",
    model,
    content:
      end === undefined ? calls.map((call): AnthropicToolUseBlock => ({ type: "tool_use", id: ids.nextCall(), ...call })) : [{ type: "text", text: end }],
    stop_reason: end === undefined ? "tool_use" : "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } as AnthropicMessage["usage"],
  };
}

/** The request's log line for it: `Bash `npm test`, Read /repo/a.py, named in the request (tools.…)`. */
export function describeFirstLook(look: FirstLook): string {
  if (look.found !== undefined) return `Read ${look.reads.join(", ")}, found by the search for \`${look.found}\` (tools.search_named_symbols)`;
  if (look.list === true) return "Glob of the project's files, the request naming none (tools.read_small_projects)";
  if (look.listed === true) return `Read ${look.reads.join(", ")}, the project's files, few enough to read all (tools.read_small_projects)`;
  if (look.followed === true) return `Read ${look.reads.join(", ")}, following the failure of a command the request names (tools.follow_failures)`;
  if (look.passes !== undefined) return `the end: \`${look.passes}\` passes after the model's edit (tools.check_after_edits)`;
  if (look.done !== undefined) return `the end: ${look.done.map((path) => basename(path)).join(", ")} changed as the request asks (tools.end_after_edits)`;
  if (look.check === true) return `${look.commands.map((command) => `Bash \`${command}\``).join(", ")} again after the model's edit (tools.check_after_edits)`;
  const calls = [
    ...look.commands.map((command) => `Bash \`${command}\``),
    ...(look.reads.length > 0 ? [`Read ${look.reads.join(", ")}`] : []),
    ...(look.search === undefined ? [] : [`Grep \`${look.search}\``]),
  ];
  const levers = [
    ...(look.commands.length > 0 ? ["tools.run_named_commands"] : []),
    ...(look.reads.length > 0 ? ["tools.read_named_files"] : []),
    ...(look.search === undefined ? [] : ["tools.search_named_symbols"]),
  ];
  return `${calls.join(", ")}, named in the request (${levers.join(", ")})`;
}
