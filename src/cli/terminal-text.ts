import { escapeLogText } from "../observe/escape-log-text.js";

/**
 * What mallex prints to a terminal, made unable to drive it: each line's control characters (ESC,
 * CR, C1, U+2028…) written as escapes by the same function the log file uses (escapeLogText), so a
 * model name a client chose or a line a model server printed can neither set the window title, clear
 * the screen nor forge a line. `text` as lines keeps a newline inside one of them escaped; as one
 * string, its own "\n" are the line breaks mallex meant.
 *
 * @example
 * terminalText(["model: evil\x1b]0;pwned\x07"]) // "model: evil\\x1b]0;pwned\\x07"
 */
export function terminalText(text: string | readonly string[]): string {
  return (typeof text === "string" ? text.split("\n") : text).map(escapeLogText).join("\n");
}

/**
 * JSON for a terminal: JSON.stringify already escapes C0 controls, but not DEL, the C1 controls (0x9b
 * is CSI on some terminals) nor U+2028/U+2029; those are written as \u escapes, so it stays valid JSON
 * with the same value.
 */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

// eslint-disable-next-line no-control-regex
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029]/g;

/** Prints to stdout through {@link terminalText}. */
export function printOut(text: string | readonly string[]): void {
  console.log(terminalText(text));
}

/** Prints to stderr through {@link terminalText}. */
export function printErr(text: string | readonly string[]): void {
  console.error(terminalText(text));
}
