import { describe, expect, it } from "vitest";
import { createJsonObjectTracker } from "../../src/translate/tool-calls/track-json-object.js";

/** The tracker's state after `text` is fed in fragments of `size` characters. */
function stateOf(text: string, size: number, maxDepth?: number) {
  const tracker = createJsonObjectTracker(maxDepth);
  let state = tracker.feed("");
  for (let i = 0; i < text.length; i += size) state = tracker.feed(text.slice(i, i + size));
  return state;
}

describe("createJsonObjectTracker: a streamed tool call's arguments, complete the moment they close", () => {
  for (const size of [1, 3, 4, 1000]) {
    it(`in fragments of ${size}: closed only at the top-level brace, whatever strings and escapes hold`, () => {
      const args = JSON.stringify({ file_path: "/a", content: 'a } b { "quoted \\" }" [nested] \\\\', list: [{ x: [1, 2] }] });
      expect(stateOf(args.slice(0, -1), size)).toBe("open");
      expect(stateOf(args, size)).toBe("closed");
      expect(stateOf(`  \n${args}`, size)).toBe("closed");
    });
  }

  it("says when the arguments are no object, or nest past the limit, and reads no more", () => {
    expect(stateOf('"just a string"', 2)).toBe("not-an-object");
    expect(stateOf(`{"a":${"[".repeat(300)}`, 7, 256)).toBe("too-deep");
    expect(stateOf(`{"a":${"[".repeat(255)}${"]".repeat(255)}}`, 7, 256)).toBe("closed");
    const tracker = createJsonObjectTracker(4);
    expect(tracker.feed('{"a":[[[[')).toBe("too-deep");
    expect(tracker.feed("]]]]}")).toBe("too-deep");
  });
});
