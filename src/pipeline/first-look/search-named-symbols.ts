import type { AnthropicMessageParam } from "../../translate/anthropic-types.js";
import { absolute } from "./read-named-files.js";
import { wholeWord, type Renamed } from "../../translate/tool-calls/whole-file-write.js";

/**
 * `tools.search_named_symbols`: a user's request that quotes a name of the code in backticks but names
 * no file ("Somewhere in this project the constant `MAX_RETRIES` is defined…", "Rename `getUserName`…")
 * is answered by mallex itself with a Grep of that name; once its result is in, the files it found (up
 * to MAX_FOUND) are Read, by mallex too. The model is asked with the places in the conversation. The
 * real Qwen2.5-Coder-1.5B, asked so, guessed paths that do not exist and Read them.
 */
export const MAX_FOUND = 3;

export const GREP_TOOL = "Grep";

/** A quoted name of the code: an identifier of 3 characters or more (`MAX_RETRIES`, `getUserName`, `$el`). */
const QUOTED_NAME = /`([A-Za-z_$][\w$]{2,80})`/;

/** The first name of the code the user's words quote, if any. */
export function namedSymbol(words: string): string | undefined {
  return QUOTED_NAME.exec(words)?.[1];
}

/** A task that renames a name of the code: "Rename the function `getUserName` to `displayNameOf` everywhere…". */
const RENAME = /\brename\b[^`]*`([A-Za-z_$][\w$]*)`[^`]*?\bto\b[^`]*`([A-Za-z_$][\w$]*)`/i;

/** The names a task renames; undefined where it renames none. */
export function renameOf(task: string): Renamed | undefined {
  const match = RENAME.exec(task);
  return match === null ? undefined : { from: match[1]!, to: match[2]! };
}

/** Whether `text` has `name` as a whole word of code. */
export function mentions(text: string, name: string): boolean {
  return wholeWord(name).test(text);
}

/** The Grep that finds a name: whole words, each matching line with its file and number. */
export function symbolSearch(symbol: string): { pattern: string; output_mode: "content"; "-n": true } {
  const escaped = symbol.replace(/\$/g, "\\$");
  // \b holds only beside a word character: a name that starts or ends with `$` is matched as it is there.
  const pattern = `${/^\w/.test(symbol) ? "\\b" : ""}${escaped}${/\w$/.test(symbol) ? "\\b" : ""}`;
  return { pattern, output_mode: "content", "-n": true };
}

/**
 * The files a search's result lists (`path:line:text`, as Claude Code's Grep writes content), as
 * absolute paths under `folder`, each once, a file with a line that defines `symbol` last (mallex reads
 * them in this order, and the model is asked for the file read last: ask-whole-file.ts): none where it
 * found none or more than MAX_FOUND (too many to read for the model, which then chooses).
 */
export function foundFiles(result: string, folder: string, symbol: string): string[] {
  const files: string[] = [];
  const defining = new Set<string>();
  const definition = definitionOf(symbol);
  for (const line of result.split("\n")) {
    const match = /^(.+?):\d+[:-](.*)$/.exec(line);
    if (match === null) continue;
    const file = absolute(folder, match[1]!);
    if (!files.includes(file)) files.push(file);
    if (definition.test(match[2]!)) defining.add(file);
    if (files.length > MAX_FOUND) return [];
  }
  return [...files.filter((file) => !defining.has(file)), ...files.filter((file) => defining.has(file))];
}

/** Whether a file's text has a line that defines `symbol` (definitionOf). */
export function defines(text: string, symbol: string): boolean {
  const definition = definitionOf(symbol);
  return text.split("\n").some((line) => definition.test(line));
}

/**
 * A line that defines the name: after a keyword that declares one (`export const MAX_RETRIES = 3`,
 * `def get_user`, `function getUserName(`, `class Cache`), or assigned at the start of its line
 * (Python's `MAX_RETRIES = 3`, `TIMEOUT: int = 5`). A use (`import { MAX_RETRIES }`, `x == MAX_RETRIES`) is not.
 */
function definitionOf(symbol: string): RegExp {
  const name = symbol.replace(/\$/g, "\\$");
  return new RegExp(
    `(?:\\b(?:const|let|var|def|function|class|type|interface|enum|struct|fn|func|fun|val)\\s+\\*?${name}(?![\\w$])|^\\s*${name}\\s*(?::[^=]*)?=(?!=))`,
  );
}

/**
 * The result of the search mallex made for the name the user's words quote (namedSymbol), where the
 * conversation's last turn is it: the assistant's calls include exactly symbolSearch(symbol), and the
 * user's message after them holds its result. Undefined otherwise (the model's own Grep is the model's).
 */
export function searchResultOf(messages: readonly AnthropicMessageParam[], symbol: string): string | undefined {
  const [asked, answered] = messages.slice(-2);
  if (asked?.role !== "assistant" || answered?.role !== "user") return undefined;
  if (typeof asked.content === "string" || typeof answered.content === "string") return undefined;
  const expected = JSON.stringify(symbolSearch(symbol));
  const call = asked.content.find((block) => block.type === "tool_use" && block.name === GREP_TOOL && JSON.stringify(block.input) === expected);
  if (call?.type !== "tool_use") return undefined;
  const result = answered.content.find((block) => block.type === "tool_result" && block.tool_use_id === call.id);
  if (result?.type !== "tool_result" || result.is_error === true) return undefined;
  return typeof result.content === "string" ? result.content : (result.content ?? []).map((block) => (block.type === "text" ? block.text : "")).join("\n");
}
