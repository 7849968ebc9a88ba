// JSON text read without parsing it whole: where a string ends, the text written in pieces, and
// whether an answer holds more values than a reader should take on.
import { isHighSurrogate } from "./is-high-surrogate.js";

/**
 * The index of the quote that ends the JSON string opening at `open` (the text's end when it never
 * does). Found with indexOf, so a text that is mostly strings is skipped, not looped over.
 */
export function jsonStringEnd(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === 0x5c /* \ */) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

/** Characters a piece holds, about: a piece of UTF-8 at most 3 bytes a character stays under glibc's 128 KiB mmap threshold. */
export const JSON_PIECE_CHARS = 32 * 1024;

/**
 * `JSON.stringify(value)`, character for character, in pieces of about `pieceChars`, made one at a
 * time as they are asked for: the text of a value too large to hold whole beside the value itself.
 * V8 builds `JSON.stringify`'s result as a chain of 16 Ki-character parts, and whatever reads it
 * whole first (its UTF-8 length, a slice) flattens it into a copy: a 30 MB prompt on its way to a
 * backend was the parsed request, the parts and the copy at once, 90 MB (test/memory-budget-cli.test.ts).
 *
 * For JSON data: what JSON.parse makes, and objects built from it. A subtree of less text than
 * `pieceChars` is one `JSON.stringify`; a longer string is cut between characters, never inside a
 * surrogate pair, whose halves would each be escaped. A piece is at most `pieceChars` (one more
 * where a pair would be cut) but for escapes, which JSON writes in up to six characters.
 *
 * @example
 * [...jsonPieces({ a: "x".repeat(5) }, 4)].join("") === JSON.stringify({ a: "x".repeat(5) }) // true
 */
export function* jsonPieces(value: unknown, pieceChars = JSON_PIECE_CHARS): Generator<string, void, undefined> {
  let pending = "";
  for (const text of tokens(value, pieceChars)) {
    if (pending !== "" && pending.length + text.length > pieceChars) {
      yield pending;
      pending = "";
    }
    pending += text;
  }
  if (pending !== "") yield pending;
}

/** Whether the text of `value`'s strings and keys adds up to at least `chars` (walked only that far). */
export function hasCharsAtLeast(value: unknown, chars: number): boolean {
  let left = chars;
  const walk = (node: unknown): boolean => {
    if (typeof node === "string") return (left -= node.length + 2) <= 0;
    if (node === null || typeof node !== "object") return (left -= 8) <= 0;
    if (Array.isArray(node)) return node.some(walk);
    for (const key in node) if ((left -= key.length + 3) <= 0 || walk((node as Record<string, unknown>)[key])) return true;
    return false;
  };
  return walk(value);
}

function* tokens(value: unknown, pieceChars: number): Generator<string, void, undefined> {
  if (typeof value === "string") return yield* stringTokens(value, pieceChars);
  if (value === null || typeof value !== "object" || !hasCharsAtLeast(value, pieceChars)) return yield JSON.stringify(value);
  if (Array.isArray(value)) {
    yield "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ",";
      // As JSON.stringify writes what has no JSON form in an array.
      const item: unknown = value[i];
      if (omitted(item)) yield "null";
      else yield* tokens(item, pieceChars);
    }
    return yield "]";
  }
  yield "{";
  let first = true;
  for (const [key, member] of Object.entries(value)) {
    if (omitted(member)) continue;
    yield `${first ? "" : ","}${JSON.stringify(key)}:`;
    first = false;
    yield* tokens(member, pieceChars);
  }
  yield "}";
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** What JSON.stringify leaves out of an object (and writes as null in an array). */
function omitted(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

function* stringTokens(text: string, pieceChars: number): Generator<string, void, undefined> {
  if (text.length <= pieceChars) return yield JSON.stringify(text);
  yield '"';
  for (const slice of textSlices(text, pieceChars)) yield JSON.stringify(slice).slice(1, -1);
  yield '"';
}

/**
 * `text` in slices of `chars`, one more where a slice would end between the halves of a surrogate
 * pair: each half alone is written as U+FFFD in UTF-8, or escaped in JSON, where the pair is one
 * character (a lone half, paired with nothing in the whole text either, may end a slice).
 */
export function* textSlices(text: string, chars: number): Generator<string, void, undefined> {
  for (let at = 0; at < text.length;) {
    let end = at + chars;
    if (isHighSurrogate(text.charCodeAt(end - 1)) && isLowSurrogate(text.charCodeAt(end))) end++;
    yield text.slice(at, end);
    at = end;
  }
}

/**
 * Whether a JSON text holds more than `max` values, counted in one linear pass before JSON.parse
 * builds any (an array or object opened, or a comma; strings skipped with indexOf). What JSON.parse
 * costs grows with the values it builds far more than with the text: 15 MB of `{},` took it 3.2 s
 * on a 2-vCPU machine, 15 MB of text in one string 50 ms. Malformed JSON is left to JSON.parse.
 */
export function jsonValuesExceed(text: string, max: number): boolean {
  let values = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) i = jsonStringEnd(text, i);
    else if ((c === 0x2c /* , */ || c === 0x7b /* { */ || c === 0x5b) /* [ */ && ++values > max) return true;
  }
  return false;
}

/**
 * The most values a model server's answer may hold (a chunk, or a whole completion): a completion
 * is a few dozen (a hundred parallel calls, a thousand; mallex asks for no logprobs), and 16 Ki of
 * the costliest kind, empty objects, take JSON.parse about 16 ms.
 */
export const MAX_ANSWER_JSON_VALUES = 16 * 1024;

/**
 * Below this many characters a text is parsed without counting: it cannot hold values enough to
 * cost JSON.parse a millisecond or two, and nearly every chunk of a stream is far shorter.
 */
export const COUNT_VALUES_FROM_CHARS = 64 * 1024;

/** Whether an answer's JSON text holds more values than {@link MAX_ANSWER_JSON_VALUES}, counted only from {@link COUNT_VALUES_FROM_CHARS}. */
export function answerJsonTooBusy(text: string): boolean {
  return text.length >= COUNT_VALUES_FROM_CHARS && jsonValuesExceed(text, MAX_ANSWER_JSON_VALUES);
}
