import { jsonStringEnd } from "../shared/json-text.js";

/** Where one top-level field's value sits in a JSON body's text. */
export interface FieldSpan {
  /** The value's first and one-past-last character (whitespace around it excluded). */
  start: number;
  end: number;
  /** Its length without the whitespace between tokens: what JSON.stringify of the parsed value measures, for a body written the way JSON.stringify writes. */
  compactChars: number;
}

export type JsonBodyScan = { tooDeep: true } | { tooDeep: false; fields: ReadonlyMap<string, FieldSpan> };

/**
 * One linear pass over a JSON text, before JSON.parse builds anything: whether it nests arrays and
 * objects deeper than `maxDepth`, and, when it is an object, where each top-level field's value is
 * (the last one wins for a repeated key, as JSON.parse decides). Strings are skipped with indexOf,
 * so a body that is mostly text — a Claude Code request is — costs a few microseconds, not a loop
 * over every character. Malformed JSON is left to JSON.parse: the spans are only read from a body
 * it accepted.
 */
export function scanJsonBody(text: string, maxDepth: number): JsonBodyScan {
  const fields = new Map<string, FieldSpan>();
  let depth = 0;
  // The top-level field being read: its key (once read), where its value starts, where its last
  // token ends and how much whitespace lies between its tokens up to there.
  let key: string | undefined;
  let valueStart = -1;
  let valueEnd = -1;
  let spaces = 0;
  let spacesInside = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      spaces++;
      continue;
    }
    const inTopLevel = depth === 1;
    if (inTopLevel && (c === 0x2c /* , */ || c === 0x7d) /* } */) {
      if (key !== undefined && valueStart >= 0) fields.set(key, { start: valueStart, end: valueEnd, compactChars: valueEnd - valueStart - spacesInside });
      key = undefined;
      valueStart = -1;
    } else if (inTopLevel && c !== 0x3a /* : */ && valueStart < 0 && (key !== undefined || c !== 0x22)) {
      valueStart = i;
      spaces = 0;
    }
    if (c === 0x22 /* " */) {
      const end = jsonStringEnd(text, i);
      if (inTopLevel && key === undefined && valueStart < 0) key = readKey(text.slice(i, end + 1));
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return { tooDeep: true };
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
    if (valueStart >= 0) {
      valueEnd = i + 1;
      spacesInside = spaces;
    }
  }
  return { tooDeep: false, fields };
}

/** A key as JSON.parse reads it (escapes decoded); a malformed one is left to JSON.parse to refuse. */
function readKey(quoted: string): string {
  if (!quoted.includes("\\")) return quoted.slice(1, -1);
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted;
  }
}
