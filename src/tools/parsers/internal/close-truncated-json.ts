/**
 * Completes JSON that a model stopped writing just before its closing brackets (the output hit its
 * end, or the model emitted its end token early). Only closers are added, and only when nothing
 * else can be missing: text that stops inside a string, after a `,` or `:`, or on a number (which
 * may itself be cut short) is left alone, since closing it would invent or change content.
 */

const COMPLETE_WORD = /(?:true|false|null|True|False|None)$/;

/** `text` with its missing closers appended, or null when more than closers may be missing. */
export function closeTruncatedJson(text: string): string | null {
  const closers: string[] = [];
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    if (quote !== null) {
      if (char === "\\") i++;
      else if (char === quote) quote = null;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === "{") {
      closers.push("}");
    } else if (char === "[") {
      closers.push("]");
    } else if (char === "}" || char === "]") {
      if (closers.pop() !== char) return null;
    }
  }
  if (quote !== null || closers.length === 0) return null;
  const trimmed = text.trimEnd();
  const last = trimmed.charAt(trimmed.length - 1);
  const endsOnValue = last === '"' || last === "'" || last === "}" || last === "]" || COMPLETE_WORD.test(trimmed);
  // An opener right before the cut (`{"a": [`) would become an empty value the model never wrote.
  if (!endsOnValue) return null;
  return trimmed + closers.reverse().join("");
}
