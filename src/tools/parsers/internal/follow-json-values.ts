/**
 * Follows JSON objects written back to back with no markers around them (a bare JSON call), one
 * chunk at a time, strings and escapes included, so that the text after them is seen the moment it
 * comes: each chunk is read once, however the output is split.
 */
export interface JsonValuesFollower {
  /** Reads the next chunk; true once something other than whitespace (or `allowedAfter`) follows a closed object. */
  feed(chunk: string): boolean;
}

/**
 * A follower for text that starts with `{`. Between and after the objects only whitespace may come,
 * and `allowedAfter` once at the end (a closing tag a model adds after a call it never opened).
 */
export function followJsonValues(allowedAfter: string): JsonValuesFollower {
  let depth = 0;
  let inString = false;
  let escaped = false;
  // How much of `allowedAfter` has been read after the last object.
  let after = 0;
  let followed = false;

  /** One character outside strings; false when it shows that text follows the objects. */
  const read = (char: string): boolean => {
    if (depth > 0) {
      if (char === '"') inString = true;
      else if (char === "{" || char === "[") depth += 1;
      else if (char === "}" || char === "]") depth -= 1;
      return true;
    }
    const space = char === " " || char === "\t" || char === "\r" || char === "\n";
    if (after > 0 && after < allowedAfter.length) return allowedAfter[after++] === char;
    if (space) return true;
    if (after === 0 && char === "{") {
      depth = 1;
      return true;
    }
    if (after === 0 && char === allowedAfter[0]) {
      after = 1;
      return true;
    }
    return false;
  };

  return {
    feed(chunk) {
      for (let i = 0; i < chunk.length && !followed; i++) {
        const char = chunk[i]!;
        if (inString) {
          if (escaped) escaped = false;
          else if (char === "\\") escaped = true;
          else if (char === '"') inString = false;
        } else if (!read(char)) {
          followed = true;
        }
      }
      return followed;
    },
  };
}
