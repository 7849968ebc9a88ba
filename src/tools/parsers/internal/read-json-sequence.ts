/**
 * Reads JSON calls written back to back with no end marker: Mistral's
 * `name[ARGS]{…}name[ARGS]{…}` and `[{…}]`, Llama 3's `{…}; {…}`.
 */
import { findJsonEnd } from "./scan-json.js";

export interface SequenceItem {
  /** Offsets of the item in the scanned text, head included. */
  readonly start: number;
  readonly end: number;
  /** The name from `head`, or null when the JSON itself names the tool. */
  readonly name: string | null;
  /** The item's JSON text; null when the text ends before the value closes. */
  readonly json: string | null;
  /** Offset where the JSON value begins (after the head). */
  readonly jsonStart: number;
}

export interface JsonSequence {
  readonly items: readonly SequenceItem[];
  /** Offset where the text after the last item begins (its leading whitespace included). */
  readonly restStart: number;
}

export interface SequenceSyntax {
  /** Matches a call head such as `name[ARGS]`; group 1 is the tool name. */
  readonly head?: RegExp;
  /** Separator allowed between items, such as Llama 3's `;`. */
  readonly separator?: string;
  /** Optional marker written before an item and belonging to it (Mistral repeats `[TOOL_CALLS]`). */
  readonly lead?: string;
}

const skipSpace = (text: string, from: number): number => {
  let at = from;
  while (at < text.length && /\s/.test(text.charAt(at))) at++;
  return at;
};

const opensJson = (char: string | undefined): boolean => char === "{" || char === "[";

export function readJsonSequence(text: string, syntax: SequenceSyntax): JsonSequence {
  const items: SequenceItem[] = [];
  const head = syntax.head === undefined ? null : new RegExp(syntax.head.source, "y");
  let position = skipSpace(text, 0);
  let restStart = 0;
  while (position < text.length) {
    const start = position;
    if (syntax.lead !== undefined && text.startsWith(syntax.lead, position)) {
      position = skipSpace(text, position + syntax.lead.length);
    }
    let name: string | null = null;
    let jsonStart = position;
    if (head !== null) head.lastIndex = position;
    const headMatch = head?.exec(text) ?? null;
    if (headMatch !== null) {
      name = headMatch[1] ?? "";
      jsonStart = skipSpace(text, position + headMatch[0].length);
    } else if (!opensJson(text[position])) {
      break;
    }
    const jsonEnd = opensJson(text[jsonStart]) ? findJsonEnd(text, jsonStart) : -1;
    if (jsonEnd === -1) {
      items.push({ start, end: text.length, name, json: null, jsonStart });
      return { items, restStart: text.length };
    }
    items.push({ start, end: jsonEnd, name, json: text.slice(jsonStart, jsonEnd), jsonStart });
    restStart = jsonEnd;
    position = skipSpace(text, jsonEnd);
    if (syntax.separator !== undefined && text.startsWith(syntax.separator, position)) {
      position = skipSpace(text, position + syntax.separator.length);
    }
  }
  return { items, restStart };
}
