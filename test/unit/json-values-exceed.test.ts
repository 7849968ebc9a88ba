/**
 * The count of a JSON text's values taken before JSON.parse builds them (issue 37): megabytes of
 * empty objects from a model server are refused, megabytes of text in a string are not.
 */
import { describe, expect, it } from "vitest";
import { answerJsonTooBusy, COUNT_VALUES_FROM_CHARS, jsonValuesExceed, MAX_ANSWER_JSON_VALUES } from "../../src/shared/json-text.js";

describe("jsonValuesExceed", () => {
  it("counts the arrays and objects opened and the commas, outside strings", () => {
    expect(jsonValuesExceed('{"a":[1,2,{}]}', 5)).toBe(false); // { [ , , {
    expect(jsonValuesExceed('{"a":[1,2,{}]}', 4)).toBe(true);
  });

  it("skips strings, escaped quotes and backslashes included", () => {
    const text = JSON.stringify({ content: '[{},{},"quoted \\" ,,,[[[", \\\\', more: "x" });
    expect(jsonValuesExceed(text, 2)).toBe(false); // the object and one comma
    expect(jsonValuesExceed(text, 1)).toBe(true);
  });

  it("an answer's text: megabytes of empty objects are too many, megabytes of text in one string are not", () => {
    const chunk = (extra: string) => `{"choices":[{"index":0,"delta":{"content":"hi"}}],"x":${extra}}`;
    expect(answerJsonTooBusy(chunk(`[${"{},".repeat(MAX_ANSWER_JSON_VALUES * 2)}{}]`))).toBe(true);
    expect(answerJsonTooBusy(chunk(JSON.stringify(",{[".repeat(1024 * 1024))))).toBe(false);
    // A short text is not counted: it cannot hold values enough to matter.
    expect(answerJsonTooBusy(`[${"{},".repeat(COUNT_VALUES_FROM_CHARS / 3 - 10)}{}]`)).toBe(false);
  });
});
