/**
 * The per-token fast paths give what the general ones give: formatSSE's template is byte for byte
 * JSON.stringify, and the one-stage SSE parser reads any split of the bytes (a character cut in
 * two, CRLF line ends, a comment) as the whole body.
 */
import { describe, expect, it } from "vitest";
import type { AnthropicStreamEvent } from "../../src/translate/anthropic-types.js";
import { formatSSE } from "../../src/translate/stream/format-sse.js";
import { parseOpenAIEventStream } from "../../src/translate/stream/parse-openai-sse.js";
import { arrayToStream } from "../fakes/read-sse.js";

const general = (event: AnthropicStreamEvent) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

describe("formatSSE", () => {
  it.each(["plain", "", 'quotes " and \\ backslashes', "line\nbreaks\r\nand\ttabs \u2028 \u0000", "emoji 😀 and a lone half \ud83d", "</script><think>"])(
    "writes text and thinking deltas as JSON.stringify does: %j",
    (text) => {
      for (const event of [
        { type: "content_block_delta", index: 3, delta: { type: "text_delta", text } },
        { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: text } },
      ] satisfies AnthropicStreamEvent[]) {
        expect(formatSSE(event)).toBe(general(event));
      }
    },
  );

  it("writes every other event as JSON.stringify does", () => {
    const events: AnthropicStreamEvent[] = [
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"a":1}' } },
      { type: "content_block_delta", index: 1, delta: { type: "signature_delta", signature: "" } },
      { type: "content_block_stop", index: 1 },
      { type: "ping" },
      { type: "message_stop" },
    ];
    for (const event of events) expect(formatSSE(event)).toBe(general(event));
  });

  it("still refuses an event name with a line break", () => {
    expect(() => formatSSE({ type: "ping\nevent: x" } as unknown as AnthropicStreamEvent)).toThrow(/line break/);
  });
});

describe("parseOpenAIEventStream, one stage", () => {
  const body =
    ': keepalive 1/2\r\n\r\ndata: {"choices":[{"index":0,"delta":{"content":"h\u00e9 😀"}}]}\r\n\r\nevent: error\ndata: {"error":{"message":"boom"}}\n\ndata: [DONE]\n\n';
  const bytes = new TextEncoder().encode(body);

  async function parse(pieces: Uint8Array[]) {
    const source = arrayToStream(pieces);
    let seen = 0;
    const parts = [];
    for await (const part of parseOpenAIEventStream(source, { onBytes: () => seen++ })) parts.push(part);
    return { parts, seen };
  }

  it("gives the same parts for every split of the bytes, and tells of each piece", async () => {
    const whole = await parse([bytes]);
    expect(whole.parts).toEqual([
      { success: true, value: { choices: [{ index: 0, delta: { content: "h\u00e9 😀" } }] } },
      { success: true, value: { error: { message: "boom" } } },
      { type: "done" },
    ]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const split = await parse([bytes.slice(0, cut), bytes.slice(cut)]);
      expect(split.parts).toEqual(whole.parts);
      expect(split.seen).toBe(2);
    }
  });
});
