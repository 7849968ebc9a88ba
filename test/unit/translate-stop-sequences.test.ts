import { describe, expect, it, vi } from "vitest";
import type { AnthropicStreamEvent } from "../../src/translate/anthropic-types.js";
import { collectStreamMessage } from "../../src/translate/stream/collect-stream-message.js";
import { convertOpenAIResponse } from "../../src/translate/convert-openai-response.js";
import type { OpenAIChatResponse, OpenAIChunk } from "../../src/translate/openai-types.js";
import { parseOpenAIEventStream } from "../../src/translate/stream/parse-openai-sse.js";
import type { TranslatorInput } from "../../src/translate/stream/stream-types.js";
import { createAnthropicStreamTranslator } from "../../src/translate/stream/translate-openai-stream.js";
import type { TranslateOptions } from "../../src/translate/translate-options.js";
import { arrayToStream, baseOptions, createTestDeps, expectWellFormedStream, streamToArray, summarize, writeTool } from "../helpers/translate-helpers.js";

interface Run {
  stopSequences?: string[];
  options?: Partial<TranslateOptions>;
  outputCap?: number;
}

const context = (run: Run) => ({
  model: "claude-opus-4-8",
  tools: [writeTool],
  options: { ...baseOptions, ...run.options },
  deps: createTestDeps(),
  stopSequences: run.stopSequences,
  ...(run.outputCap !== undefined ? { outputCap: run.outputCap } : {}),
});

const chunk = (delta: Record<string, unknown>, finish: string | null = null): TranslatorInput => ({
  success: true,
  value: { choices: [{ index: 0, finish_reason: finish, delta: { role: "assistant", ...delta } }] } as OpenAIChunk,
});
const usage: TranslatorInput = { success: true, value: { choices: [], usage: { prompt_tokens: 10, completion_tokens: 7, total_tokens: 17 } } };

async function translate(inputs: TranslatorInput[], run: Run): Promise<AnthropicStreamEvent[]> {
  const events = await streamToArray(arrayToStream(inputs).pipeThrough(createAnthropicStreamTranslator(context(run))));
  expectWellFormedStream(events);
  return events;
}

/** Content deltas, then the finish, [DONE] and usage a server would send if nothing stopped it. */
const contentStream = (pieces: string[]): TranslatorInput[] => [...pieces.map((content) => chunk({ content })), chunk({}, "stop"), usage, { type: "done" }];

const textOf = async (events: AnthropicStreamEvent[]) => {
  const collected = collectStreamMessage(events);
  if (!collected.ok) throw new Error(collected.error.message);
  return collected.message;
};

describe("stop sequences in the stream translator", () => {
  it("ends the message at the sequence, cut before it, with stop_sequence, whatever the chunk split", async () => {
    const text = "Sure: <answer>42</answer> and then some";
    for (let at = 0; at <= text.length; at++) {
      for (const width of [1, 3]) {
        const pieces = [text.slice(0, at), ...(text.slice(at).match(new RegExp(`[^]{1,${width}}`, "g")) ?? [])].filter((p) => p !== "");
        const events = await translate(contentStream(pieces), { stopSequences: ["</answer>"] });
        const message = await textOf(events);
        expect(message.content).toEqual([{ type: "text", text: "Sure: <answer>42" }]);
        expect(message.stop_reason).toBe("stop_sequence");
        expect(message.stop_sequence).toBe("</answer>");
      }
    }
  });

  it("emits nothing after the match: no usage chunk is waited for, output tokens are estimated", async () => {
    const events = await translate(contentStream(["Hello", " STOP", " never shown"]), { stopSequences: ["STOP"] });
    expect(summarize(events)).toEqual([
      "message_start msg_1 claude-opus-4-8 in=0",
      "ping",
      "start 0 text",
      'delta 0 text_delta "Hello"',
      'delta 0 text_delta " "',
      "stop 0",
      // 10 characters generated ("Hello STOP"), at ~3.5 per token.
      'message_delta stop_sequence {"output_tokens":3}',
      "message_stop",
    ]);
    expect(events.at(-2)).toMatchObject({ delta: { stop_reason: "stop_sequence", stop_sequence: "STOP" } });
  });

  it("cancels the upstream body once it matched, so the backend stops generating", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: {"choices":[{"index":0,"delta":{"content":"a STOP b"}}]}\n\n'));
        // …and then the backend keeps generating: the stream stays open.
      },
      cancel() {
        cancelled = true;
      },
    });
    const events = await streamToArray(parseOpenAIEventStream(body).pipeThrough(createAnthropicStreamTranslator(context({ stopSequences: ["STOP"] }))));
    expect(events.at(-1)).toEqual({ type: "message_stop" });
    await vi.waitFor(() => expect(cancelled).toBe(true));
  });

  it("a sequence never completed releases the held text at the end, with the usual stop reason and usage", async () => {
    const message = await textOf(await translate(contentStream(["Almost ST", "O"]), { stopSequences: ["STOP"] }));
    expect(message).toMatchObject({
      content: [{ type: "text", text: "Almost STO" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { output_tokens: 7 },
    });
  });

  it("is not matched in reasoning, in tool calls, or across a block boundary", async () => {
    const args = JSON.stringify({ file_path: "/a", content: "STOP" });
    const events = await translate(
      [
        chunk({ reasoning: "I will write STOP." }),
        chunk({ content: "Writing ST" }),
        chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "Write", arguments: args } }] }),
        chunk({ content: "OP" }),
        chunk({}, "tool_calls"),
        usage,
        { type: "done" },
      ],
      { stopSequences: ["STOP"], options: { thinking: "expose" } },
    );
    const message = await textOf(events);
    expect(message.content).toEqual([
      { type: "thinking", thinking: "I will write STOP.", signature: "" },
      { type: "text", text: "Writing ST" },
      { type: "tool_use", id: "toolu_1", name: "Write", input: { file_path: "/a", content: "STOP" } },
      { type: "text", text: "OP" },
    ]);
    expect(message.stop_reason).toBe("tool_use");
  });

  it("is matched in text parsed out of tool-call markup and think tags, not in what they hold", async () => {
    const events = await translate(contentStream(["<think>STOP here</think>Fine. STOP"]), { stopSequences: ["STOP"], options: { thinking: "expose" } });
    const message = await textOf(events);
    expect(message.content).toEqual([
      { type: "thinking", thinking: "STOP here", signature: "" },
      { type: "text", text: "Fine. " },
    ]);
    expect(message.stop_sequence).toBe("STOP");
  });

  it("never matches mallex's own output-cap note", async () => {
    const events = await translate([chunk({ content: "Once upon" }), chunk({}, "length"), usage, { type: "done" }], {
      stopSequences: ["\n\n", "[mallex"],
      outputCap: 48,
    });
    const message = await textOf(events);
    // The cap cut the answer: max_tokens, not the stop sequence the note holds.
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.stop_sequence).toBeNull();
    expect(message.content).toEqual([{ type: "text", text: expect.stringMatching(/^Once upon\n\n\[mallex: the answer was cut at 48 tokens/) }]);
  });
});

describe("stop sequences in the whole-response converter", () => {
  const response = (content: string): OpenAIChatResponse => ({
    choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content } }],
    usage: { prompt_tokens: 10, completion_tokens: 7, total_tokens: 17 },
  });

  it("cuts the text at the first sequence completed and reports it", () => {
    const message = convertOpenAIResponse(response("one two three"), context({ stopSequences: ["three", "two"] }));
    expect(message).toMatchObject({
      content: [{ type: "text", text: "one " }],
      stop_reason: "stop_sequence",
      stop_sequence: "two",
      usage: { output_tokens: 7 },
    });
  });

  it("leaves a text without any sequence whole", () => {
    const message = convertOpenAIResponse(response("one two"), context({ stopSequences: ["four"] }));
    expect(message).toMatchObject({ content: [{ type: "text", text: "one two" }], stop_reason: "end_turn", stop_sequence: null });
  });
});

describe("collectStreamMessage", () => {
  it("turns an error event into a failure, and a stream without message_stop too", async () => {
    const start: AnthropicStreamEvent = {
      type: "message_start",
      message: {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "m",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 1, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    };
    expect(collectStreamMessage([start, { type: "error", error: { type: "overloaded_error", message: "busy" } }])).toEqual({
      ok: false,
      error: { type: "overloaded_error", message: "busy" },
    });
    expect(collectStreamMessage([start])).toMatchObject({ ok: false, error: { type: "api_error" } });
  });
});
