import { describe, expect, it } from "vitest";
import type { AnthropicStreamEvent } from "../../src/translate/anthropic-types.js";
import { createJsonTextExtractor, extractJsonContent, extractJsonObject } from "../../src/translate/extract-json-text.js";

const TITLE = '{"title": "Add two numbers"}';

describe("extractJsonObject", () => {
  it("finds the object in what small models wrap around it", () => {
    expect(extractJsonObject(TITLE)).toBe(TITLE);
    expect(extractJsonObject(`\n  ${TITLE}\n`)).toBe(TITLE);
    expect(extractJsonObject(`\`\`\`json\n${TITLE}\n\`\`\``)).toBe(TITLE);
    expect(extractJsonObject(`Here is the title:\n\`\`\`\n${TITLE}\n\`\`\`\nHope it helps.`)).toBe(TITLE);
    expect(extractJsonObject(`Sure! ${TITLE} is a good title.`)).toBe(TITLE);
    expect(extractJsonObject('{"a": {"b": [1, 2, {"c": "}"}]}}')).toBe('{"a": {"b": [1, 2, {"c": "}"}]}}');
  });

  it("gives nothing where there is no object", () => {
    expect(extractJsonObject("Add two numbers")).toBeUndefined();
    expect(extractJsonObject('["a", "b"]')).toBeUndefined();
    expect(extractJsonObject('{"title": "cut off')).toBeUndefined();
    expect(extractJsonObject("")).toBeUndefined();
  });
});

describe("extractJsonContent (one-piece answers)", () => {
  it("replaces each text block by its object, leaves blocks without one and other blocks alone", () => {
    expect(
      extractJsonContent([
        { type: "thinking", thinking: "a title {maybe}", signature: "" },
        { type: "text", text: `\`\`\`json\n${TITLE}\n\`\`\`` },
        { type: "text", text: "no json here" },
      ]),
    ).toEqual([
      { type: "thinking", thinking: "a title {maybe}", signature: "" },
      { type: "text", text: TITLE },
      { type: "text", text: "no json here" },
    ]);
  });
});

describe("createJsonTextExtractor (streamed answers)", () => {
  async function run(events: AnthropicStreamEvent[]): Promise<AnthropicStreamEvent[]> {
    const extractor = createJsonTextExtractor();
    return [...events.flatMap((event) => extractor.push(event)), ...extractor.flush()];
  }
  const textDeltas = (index: number, text: string, size: number): AnthropicStreamEvent[] =>
    Array.from({ length: Math.ceil(text.length / size) }, (_, i) => ({
      type: "content_block_delta",
      index,
      delta: { type: "text_delta", text: text.slice(i * size, (i + 1) * size) },
    }));
  const answer = `Title:\n\`\`\`json\n${TITLE}\n\`\`\``;
  const start: AnthropicStreamEvent = { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } };
  const stop: AnthropicStreamEvent = { type: "content_block_stop", index: 0 };
  const delta = (text: string): AnthropicStreamEvent => ({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } });

  it("sends each text block's object as one delta when the block stops, however the text was split", async () => {
    for (const size of [1, 2, 3, 7, answer.length]) {
      const out = await run([start, { type: "ping" }, ...textDeltas(0, answer, size), stop, { type: "message_stop" }]);
      expect(out, `split every ${size}`).toEqual([start, { type: "ping" }, delta(TITLE), stop, { type: "message_stop" }]);
    }
  });

  it("passes thinking and tool_use blocks through as they come, and text without an object unchanged", async () => {
    const thinking: AnthropicStreamEvent[] = [
      { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "{" } },
      { type: "content_block_stop", index: 0 },
    ];
    const text: AnthropicStreamEvent[] = [{ ...start, index: 1 }, ...textDeltas(1, "just words", 4), { type: "content_block_stop", index: 1 }];
    expect(await run([...thinking, ...text])).toEqual([
      ...thinking,
      { ...start, index: 1 },
      { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "just words" } },
      { type: "content_block_stop", index: 1 },
    ]);
  });

  it("lets the held text out as it came before an error, so nothing is lost", async () => {
    const error: AnthropicStreamEvent = { type: "error", error: { type: "api_error", message: "the model server closed the stream" } };
    expect(await run([start, ...textDeltas(0, '{"title": "Ad', 3), error])).toEqual([start, delta('{"title": "Ad'), error]);
  });

  it("sends no empty delta for an empty block", async () => {
    expect(await run([start, stop])).toEqual([start, stop]);
  });
});
