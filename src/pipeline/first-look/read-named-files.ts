import type { AnthropicMessageParam } from "../../translate/anthropic-types.js";
import { ownText } from "../../router/own-text.js";
import { READ_TOOL } from "../../translate/tool-calls/whole-file-write.js";

/**
 * `tools.read_named_files`: a user's request that names files in the project ("Implement `to_roman`
 * in roman.py…", "Fix the bug in stats.py…") is answered by mallex itself, without the model, with a
 * Read of each named file the conversation has not read yet (first-look.ts); the model is asked once
 * their contents are in the conversation. The real Qwen2.5-Coder-1.5B, asked such a task, answered
 * without looking (a code block of a function it had never seen, a JSON "call" of that function, a
 * Write of a file it had not read, which Claude Code refuses) in every run of the shipped eval's edit
 * tasks; with the file read, it answered with the whole file implemented. Up to MAX_FILES files, in
 * the order named.
 */
export const MAX_FILES = 3;

/** A name with a source or data extension, as a user writes one: `roman.py`, tools/fingerprint.js, "./a/b.ts". */
export const FILE_NAME =
  /(?<![\w./-])((?:\.{1,2}\/)?(?:[\w.-]+\/)*[\w.-]*\w\.(?:py|js|mjs|cjs|ts|tsx|jsx|json|yaml|yml|toml|md|txt|sh|go|rs|java|kt|c|h|cc|cpp|hpp|rb|php|cs|swift|css|scss|html|sql|ini|cfg|csv))(?![\w/-])/g;

/** Whether the user's words name a file at all (one to create included). */
export function namesAFile(words: string): boolean {
  return words.search(FILE_NAME) !== -1;
}

/**
 * The files the user's words name, as absolute paths under `folder`, that the conversation has not
 * read (`read`), up to MAX_FILES in the order named. Left out: a file the words ask to be written or
 * created (`Write wordcount.py`: there is nothing to read yet, and its Read fails), and one named only
 * inside a command mallex runs (`run`: its output says what the user asked about).
 */
export function namedFiles(words: string, folder: string, read: ReadonlySet<string>, run: readonly string[] = []): string[] {
  const paths: string[] = [];
  const inCommands = new Set(run.flatMap((command) => command.split(/\s+/)));
  for (const match of words.matchAll(FILE_NAME)) {
    const name = match[1]!;
    const path = absolute(folder, name);
    if (read.has(path) || paths.includes(path) || toCreate(words, match.index) || inCommands.has(name)) continue;
    paths.push(path);
    if (paths.length === MAX_FILES) break;
  }
  return paths;
}

/**
 * A task that asks for a change, by its verb ("Implement…", "Fix the bug in stats.py", "Change its
 * value to 5"); a question ("How many seconds…", "Which function deletes…") names none. A task that
 * reads a file to answer a question must not be asked for the file again, changed.
 */
export const EDIT_TASK =
  /\b(?:fix|implement|add|change|update|edit|modify|rewrite|refactor|rename|remove|delete|replace|correct|complete|finish|make it work|write)\b/i;

/**
 * The files the task names after a verb of change in the same sentence ("Fix the bug in stats.py",
 * "Implement `to_roman` in roman.py"), or, where it names none there, as the place before it ("In
 * package.json, set the version to 2.0.0 and add a start script": the 1.5B, not asked for
 * package.json whole, made one of the two changes); not a file inside a quoted command ("Rename …
 * everywhere, then run `node main.js`": main.js is what runs, not what to change), nor one the
 * sentence names before its verb otherwise ("test_stats.py fails, fix it": the test is where the
 * failure shows, not what to change).
 */
export function namedToChange(task: string): string[] {
  const changes = withoutCommands(task)
    .split(/(?<=[.!?])\s+|\n+/)
    .flatMap((sentence) => {
      const verb = EDIT_TASK.exec(sentence);
      return verb === null ? [] : [{ before: sentence.slice(0, verb.index), after: sentence.slice(verb.index) }];
    });
  const after = changes.flatMap(({ after }) => [...after.matchAll(FILE_NAME)].map((match) => match[1]!));
  if (after.length > 0) return after;
  return changes.flatMap(({ before }) => [...before.matchAll(FILE_NAME)].filter((match) => PLACE.test(before.slice(0, match.index))).map((match) => match[1]!));
}

/** What names a file as the place of a change, just before it: "In package.json, …", "in the file `src/app.js`, …". */
const PLACE = /\bin\s+(?:the\s+file\s+)?[`'"]?$/i;

/** The words without their quoted commands (a backticked span with a space: `node main.js`, `python3 -m unittest x.py`). */
function withoutCommands(words: string): string {
  return words.replace(/`([^`\n]*)`/g, (quoted, inside: string) => (/\s/.test(inside) ? "``" : quoted));
}

/** The files the user's words ask to be written or created ("Write `wordcount.py`: …"), in the order named. */
export function namedToCreate(words: string): string[] {
  return [...words.matchAll(FILE_NAME)].filter((match) => toCreate(words, match.index)).map((match) => match[1]!);
}

/** Whether the name at `at` is the object of a verb that makes it ("Write `wordcount.py`", "create a new file util.js"). */
function toCreate(words: string, at: number): boolean {
  return CREATE_VERB.test(words.slice(Math.max(0, at - 60), at));
}

const CREATE_VERB = /\b(?:write|create|add|make|generate)\s+(?:(?:a|an|the|new|file|script|module|called|named)\s+)*[`'"]?$/i;

/** The user's own words in a message that is their prompt (not a tool result), Claude Code's reminders left out (ownText); undefined where they wrote none. */
export function usersWords(message: AnthropicMessageParam): string | undefined {
  if (typeof message.content !== "string" && message.content.some((block) => block.type === "tool_result")) return undefined;
  const words = ownText(typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content);
  return words === "" ? undefined : words;
}

/** The user's latest request in the conversation: where it is, and their words (usersWords); undefined where there is none. */
export function latestTask(turns: readonly AnthropicMessageParam[]): { at: number; words: string } | undefined {
  for (let at = turns.length - 1; at >= 0; at--) {
    const words = turns[at]!.role === "user" ? usersWords(turns[at]!) : undefined;
    if (words !== undefined) return { at, words };
  }
  return undefined;
}

/** Every file a Read of the conversation asked for. */
export function readPaths(messages: readonly AnthropicMessageParam[]): Set<string> {
  const paths = new Set<string>();
  for (const message of messages) {
    if (typeof message.content === "string") continue;
    for (const block of message.content) {
      const path = block.type === "tool_use" && block.name === READ_TOOL ? (block.input as { file_path?: unknown }).file_path : undefined;
      if (typeof path === "string") paths.add(path);
    }
  }
  return paths;
}

/** `name` (relative, or absolute already) as an absolute path under `folder`. */
export function absolute(folder: string, name: string): string {
  if (name.startsWith("/")) return name;
  const parts = folder.split("/");
  for (const part of name.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}
