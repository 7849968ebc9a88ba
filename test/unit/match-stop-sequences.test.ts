import { describe, expect, it } from "vitest";
import { createStopSequenceMatcher } from "../../src/translate/model-text/match-stop-sequences.js";

/** Feeds the pieces, then releases what is held when nothing matched: what the client would see. */
function run(pieces: readonly string[], sequences: readonly string[]): { text: string; stop?: string; held: string[] } {
  const matcher = createStopSequenceMatcher(sequences);
  let text = "";
  const held: string[] = [];
  for (const piece of pieces) {
    const result = matcher.feed(piece);
    text += result.text;
    held.push(result.text);
    if (result.stop !== undefined) return { text, stop: result.stop, held };
  }
  const rest = matcher.release();
  return { text: text + rest, held: [...held, rest] };
}

/** The rule written the slow way: the first end position where a sequence is complete; the longest one there. */
function reference(text: string, sequences: readonly string[]): { text: string; stop?: string } {
  for (let end = 1; end <= text.length; end++) {
    const done = sequences.filter((s) => s !== "" && text.slice(0, end).endsWith(s)).sort((a, b) => b.length - a.length);
    if (done[0] !== undefined) return { text: text.slice(0, end - done[0].length), stop: done[0] };
  }
  return { text };
}

/** Every split of `text` into two and three pieces, plus one code unit at a time. */
function* splits(text: string): Generator<string[]> {
  yield [text];
  yield [...text];
  for (let i = 0; i <= text.length; i++) {
    yield [text.slice(0, i), text.slice(i)];
    for (let j = i; j <= text.length; j++) yield [text.slice(0, i), text.slice(i, j), text.slice(j)];
  }
}

function expectEverySplit(text: string, sequences: readonly string[], expected: { text: string; stop?: string }) {
  expect(reference(text, sequences)).toEqual(expected);
  for (const pieces of splits(text)) {
    const { held: _held, ...result } = run(pieces, sequences);
    expect(result, JSON.stringify(pieces)).toEqual(expected);
  }
}

const isLoneSurrogate = (piece: string) => /[\ud800-\udbff]$|^[\udc00-\udfff]/.test(piece);

describe("createStopSequenceMatcher", () => {
  it("cuts before the sequence, for every split of the text", () => {
    expectEverySplit("Hello world\n\nHuman: hi", ["\n\nHuman:"], { text: "Hello world", stop: "\n\nHuman:" });
  });

  it("passes text through that never completes a sequence, partial matches included", () => {
    expectEverySplit("a\n\nHum\n\nHuma", ["\n\nHuman:"], { text: "a\n\nHum\n\nHuma" });
  });

  it("holds only what could still begin a sequence", () => {
    const matcher = createStopSequenceMatcher(["STOP"]);
    expect(matcher.feed("abc ST")).toEqual({ text: "abc " });
    expect(matcher.feed("x")).toEqual({ text: "STx" });
    expect(matcher.feed("S")).toEqual({ text: "" });
    expect(matcher.feed("TOP and more")).toEqual({ text: "", stop: "STOP" });
  });

  it("finds a sequence that overlaps its own failed start (aab in aaab)", () => {
    expectEverySplit("xaaab", ["aab"], { text: "xa", stop: "aab" });
    expectEverySplit("abababc", ["ababc"], { text: "ab", stop: "ababc" });
  });

  it("with several sequences, the one completed first wins, wherever it starts", () => {
    expectEverySplit("one two three", ["three", "two"], { text: "one ", stop: "two" });
    // "c" is complete before "abcd" is.
    expectEverySplit("xabcd", ["abcd", "c"], { text: "xab", stop: "c" });
    // Both end at the same point: the longer one, so none of it is left in the text.
    expectEverySplit("xabc", ["bc", "abc"], { text: "x", stop: "abc" });
    // One sequence a prefix of another: the shorter is complete first.
    expectEverySplit("xab!", ["ab!", "ab"], { text: "x", stop: "ab" });
  });

  it("matches at the very start and the very end of the text", () => {
    expectEverySplit("END of it", ["END"], { text: "", stop: "END" });
    expectEverySplit("the END", ["END"], { text: "the ", stop: "END" });
  });

  it("ignores empty and repeated sequences", () => {
    expectEverySplit("abc", ["", "c", "c"], { text: "ab", stop: "c" });
    expectEverySplit("abc", [""], { text: "abc" });
    expectEverySplit("abc", [], { text: "abc" });
  });

  it("matches unicode sequences and never splits a surrogate pair", () => {
    expectEverySplit("héllo 👋🏽 wörld ✋ bye", ["✋"], { text: "héllo 👋🏽 wörld ", stop: "✋" });
    expectEverySplit("a😀b😀c", ["😀c"], { text: "a😀b", stop: "😀c" });
    expectEverySplit("日本語のテキスト。終わり", ["。"], { text: "日本語のテキスト", stop: "。" });
    // An emoji sharing its high surrogate with a stop sequence is not a partial match.
    expectEverySplit("x😀y", ["😁"], { text: "x😀y" });
    for (const pieces of splits("a😀b😀c😁")) {
      for (const piece of run(pieces, ["😀c😁", "b😀d"]).held) expect(isLoneSurrogate(piece), JSON.stringify(pieces)).toBe(false);
    }
  });

  it("holds a high surrogate that arrives without its other half", () => {
    const matcher = createStopSequenceMatcher(["zzz"]);
    expect(matcher.feed("a\ud83d")).toEqual({ text: "a" });
    expect(matcher.feed("\ude00b")).toEqual({ text: "😀b" });
  });

  it("release gives back the held text once", () => {
    const matcher = createStopSequenceMatcher(["\n\nHuman:"]);
    expect(matcher.feed("hi\n\nHu")).toEqual({ text: "hi" });
    expect(matcher.release()).toBe("\n\nHu");
    expect(matcher.release()).toBe("");
    // Released text is not part of a later match: what follows starts fresh.
    expect(matcher.feed("man:")).toEqual({ text: "man:" });
  });
});
