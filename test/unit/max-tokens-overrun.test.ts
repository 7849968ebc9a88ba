/**
 * A server that ignores max_tokens (issue 37): mallex ends the answer itself far enough past it that
 * no honest server's answer is touched, as `max_tokens`, and stops the generation.
 */
import { describe, expect, it } from "vitest";
import type { AnthropicStreamEvent } from "../../src/translate/anthropic-types.js";
import { collectStreamMessage } from "../../src/translate/stream/collect-stream-message.js";
import { convertOpenAIResponse } from "../../src/translate/convert-openai-response.js";
import { cutToRoom, overrunChars } from "../../src/translate/max-tokens-overrun.js";
import type { OpenAIChunk } from "../../src/translate/openai-types.js";
import type { TranslatorInput } from "../../src/translate/stream/stream-types.js";
import { createAnthropicStreamTranslator } from "../../src/translate/stream/translate-openai-stream.js";
import { baseOptions, createTestDeps, expectWellFormedStream, streamToArray, writeTool } from "../helpers/translate-helpers.js";

const MAX_TOKENS = 16;
const LIMIT = overrunChars(MAX_TOKENS);

function context(onOverrun: () => void) {
  return { model: "claude-opus-4-8", tools: [writeTool], options: baseOptions, deps: createTestDeps(), maxTokens: MAX_TOKENS, onOverrun };
}

const chunk = (delta: Record<string, unknown>): TranslatorInput => ({
  success: true,
  value: { choices: [{ index: 0, finish_reason: null, delta: { role: "assistant", ...delta } }] } as OpenAIChunk,
});

describe("an answer far past max_tokens", () => {
  it("streamed without end: ended as max_tokens past the bound, the generation cancelled, the request told", async () => {
    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<TranslatorInput>({
      pull(controller) {
        pulled++;
        controller.enqueue(pulled % 2 === 0 ? chunk({ reasoning: "r".repeat(50) }) : chunk({ content: "word ".repeat(20) }));
      },
      cancel() {
        cancelled = true;
      },
    });
    let told = 0;
    const events: AnthropicStreamEvent[] = await streamToArray(endless.pipeThrough(createAnthropicStreamTranslator(context(() => told++))));
    expectWellFormedStream(events);
    const collected = collectStreamMessage(events);
    if (!collected.ok) throw new Error(collected.error.message);
    expect(collected.message.stop_reason).toBe("max_tokens");
    const text = collected.message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
    expect(text.length).toBeGreaterThan(LIMIT / 2 - 200);
    expect(text.length).toBeLessThanOrEqual(LIMIT);
    expect(collected.message.usage.output_tokens).toBeGreaterThan(MAX_TOKENS);
    // Read no further than the bound and what the streams buffer ahead.
    expect(pulled * 100).toBeLessThan(LIMIT * 2);
    expect(cancelled).toBe(true);
    expect(told).toBe(1);
  });

  it("streamed in one event far past the bound: the text is cut to the bound before it is parsed, and ends as max_tokens", async () => {
    let told = 0;
    const one = new ReadableStream<TranslatorInput>({
      start(controller) {
        controller.enqueue(chunk({ content: "x".repeat(LIMIT * 3) }));
        controller.close();
      },
    });
    const events = await streamToArray(one.pipeThrough(createAnthropicStreamTranslator(context(() => told++))));
    expectWellFormedStream(events);
    const collected = collectStreamMessage(events);
    if (!collected.ok) throw new Error(collected.error.message);
    expect(collected.message.stop_reason).toBe("max_tokens");
    expect(collected.message.content).toEqual([{ type: "text", text: "x".repeat(LIMIT) }]);
    expect(told).toBe(1);
  });

  it("a call whose arguments come in one event far past the bound is not run: the answer ends as max_tokens", async () => {
    const args = JSON.stringify({ file_path: "/tmp/x.txt", content: "a".repeat(LIMIT * 3) });
    const one = new ReadableStream<TranslatorInput>({
      start(controller) {
        controller.enqueue(chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "Write", arguments: args } }] }));
        controller.close();
      },
    });
    const events = await streamToArray(one.pipeThrough(createAnthropicStreamTranslator(context(() => undefined))));
    expectWellFormedStream(events);
    expect(events.some((event) => event.type === "content_block_start" && event.content_block.type === "tool_use")).toBe(false);
    const collected = collectStreamMessage(events);
    if (!collected.ok) throw new Error(collected.error.message);
    expect(collected.message.stop_reason).toBe("max_tokens");
  });

  it("cuts a piece to the room left, never between the halves of a surrogate pair", () => {
    expect(cutToRoom("abc", 5)).toBe("abc");
    expect(cutToRoom("abc", 2)).toBe("ab");
    expect(cutToRoom("abc", 0)).toBe("");
    expect(cutToRoom("abc", -1)).toBe("");
    expect(cutToRoom("a😀b", 2)).toBe("a");
    expect(cutToRoom("a😀b", 3)).toBe("a😀");
  });

  it("up to the bound, an answer is untouched (a server that stopped on its own, with long tokens)", async () => {
    const text = " ".repeat(LIMIT - 10);
    let told = 0;
    const message = convertOpenAIResponse(
      { choices: [{ index: 0, finish_reason: "length", message: { role: "assistant", content: text } }] },
      context(() => told++),
    );
    expect(message.content).toEqual([{ type: "text", text }]);
    expect(told).toBe(0);
  });

  it("whole: cut at the bound as max_tokens, and a call after it is not run", () => {
    let told = 0;
    const message = convertOpenAIResponse(
      {
        choices: [
          {
            index: 0,
            finish_reason: "tool_calls",
            message: {
              role: "assistant",
              content: "x".repeat(LIMIT * 3),
              tool_calls: [{ id: "c1", type: "function", function: { name: "Write", arguments: '{"file_path":"/a","content":"b"}' } }],
            },
          },
        ],
      },
      context(() => told++),
    );
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.content).toEqual([{ type: "text", text: "x".repeat(LIMIT) }]);
    expect(told).toBe(1);
  });
});
