import type { AnthropicMessageParam } from "../../translate/anthropic-types.js";
import { absolute } from "./read-named-files.js";

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

/** The Grep that finds a name: whole words, each matching line with its file and number. */
export function symbolSearch(symbol: string): { pattern: string; output_mode: "content"; "-n": true } {
  const escaped = symbol.replace(/\$/g, "\\$");
  // \b holds only beside a word character: a name that starts or ends with `$` is matched as it is there.
  const pattern = `${/^\w/.test(symbol) ? "\\b" : ""}${escaped}${/\w$/.test(symbol) ? "\\b" : ""}`;
  return { pattern, output_mode: "content", "-n": true };
}

/**
 * The files a search's result lists (`path:line:text`, as Claude Code's Grep writes content), as
 * absolute paths under `folder`, each once: none where it found none or more than MAX_FOUND (too many to
 * read for the model, which then chooses).
 */
export function foundFiles(result: string, folder: string): string[] {
  const files: string[] = [];
  for (const line of result.split("\n")) {
    const path = /^(.+?):\d+[:-]/.exec(line)?.[1];
    if (path === undefined) continue;
    const file = absolute(folder, path);
    if (!files.includes(file)) files.push(file);
  }
  return files.length > MAX_FOUND ? [] : files;
}

/**
 * The result of the search mallex made for the user's words, where the conversation's last turn is it:
 * the assistant's calls include exactly symbolSearch(named symbol), and the user's message after them
 * holds its result. Undefined otherwise (the model's own Grep is the model's).
 */
export function searchResultOf(messages: readonly AnthropicMessageParam[], words: string): string | undefined {
  const symbol = namedSymbol(words);
  const [asked, answered] = messages.slice(-2);
  if (symbol === undefined || asked?.role !== "assistant" || answered?.role !== "user") return undefined;
  if (typeof asked.content === "string" || typeof answered.content === "string") return undefined;
  const expected = JSON.stringify(symbolSearch(symbol));
  const call = asked.content.find((block) => block.type === "tool_use" && block.name === GREP_TOOL && JSON.stringify(block.input) === expected);
  if (call?.type !== "tool_use") return undefined;
  const result = answered.content.find((block) => block.type === "tool_result" && block.tool_use_id === call.id);
  if (result?.type !== "tool_result" || result.is_error === true) return undefined;
  return typeof result.content === "string" ? result.content : (result.content ?? []).map((block) => (block.type === "text" ? block.text : "")).join("\n");
}
