/**
 * Makes text safe for one log line: every character that could end the line, start another or
 * drive the terminal is written as an escape, so a client-controlled value (a model name, a tool
 * name, a backend's error message) can never forge a line in mallex.log or recolour the terminal.
 *
 * - `\r`, `\n`, `\t` → `\\r`, `\\n`, `\\t`
 * - other C0 controls (ANSI ESC included), DEL and C1 controls → `\\xHH`
 * - Unicode line and paragraph separators (U+2028, U+2029) → `\\u2028`, `\\u2029`
 *
 * Backslashes are left as they are: they forge nothing, and paths stay readable.
 *
 * @example
 * escapeLogText("qwen\r\n2026-01-01T00:00:00.000Z fake") // "qwen\\r\\n2026-01-01T00:00:00.000Z fake"
 */
export function escapeLogText(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

const NAMED: Readonly<Record<string, string>> = { "\r": "\\r", "\n": "\\n", "\t": "\\t" };

function escapeChar(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code > 0xff ? `\\u${code.toString(16).padStart(4, "0")}` : `\\x${code.toString(16).padStart(2, "0")}`;
}
