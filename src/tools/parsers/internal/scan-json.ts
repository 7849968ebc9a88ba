/**
 * Bracket scanning over JSON text that respects strings, for formats that put JSON values back to
 * back with no end marker (`name[ARGS]{…}name[ARGS]{…}`, `{…}; {…}`).
 */

/**
 * Index just past the object or array that opens at `from`, or -1 when the text ends first.
 * Only brackets are tracked: whether the value is valid JSON is JSON.parse's job afterwards.
 */
export function findJsonEnd(text: string, from: number): number {
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === "\\") i++;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === "{" || char === "[") {
      depth++;
    } else if (char === "}" || char === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Whether `text`, read as the beginning of a JSON document, stops inside an open string. */
export function endsInsideJsonString(text: string): boolean {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString && char === "\\") i++;
    else if (char === '"') inString = !inString;
  }
  return inString;
}
