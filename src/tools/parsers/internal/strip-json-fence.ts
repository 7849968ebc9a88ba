/**
 * JSON between a family's markers, wrapped in a Markdown fence on top: Qwen2.5-Coder writes
 * `<tool_call>\n```json\n{…}\n```\n</tool_call>` as often as the bare JSON its template asks for.
 * The markers already say it is a call; the fence is layout.
 */
import { SPACE, type HeadAlternatives } from "./match-head.js";

const OPENING = /^\s*```[\w-]*[ \t]*\r?\n/;
const CLOSING = /\r?\n[ \t]*```\s*$/;

/** The text without a fence around it; unchanged when it does not open with one. */
export function stripJsonFence(text: string): string {
  if (!OPENING.test(text)) return text;
  return text.replace(OPENING, "").replace(CLOSING, "");
}

/** Whether a body opens as JSON, fenced or not. */
export const opensAsJson = (body: string): boolean => /^\s*(?:```[\w-]*\s*)?[[{]/.test(body);

/** A JSON call's opening after the start marker: an object or a list, fenced or not. */
export const JSON_OR_FENCED_HEAD: HeadAlternatives = [
  [SPACE, "{"],
  [SPACE, "["],
  // The backticks as a literal, so that a chunk ending inside them waits instead of failing.
  [SPACE, "```", /[\w-]*/y, SPACE, "{"],
  [SPACE, "```", /[\w-]*/y, SPACE, "["],
];
