import { jsonStringEnd } from "./json-string-end.js";

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
