import { describe, expect, it } from "vitest";
import { createToolSchemaCache } from "../../src/tools/check-tool-call.js";
import { mapErrorTypeToStatus, mapStatusToErrorType, toAnthropicError } from "../../src/translate/anthropic-error.js";
import type { AnthropicErrorType, AnthropicTool } from "../../src/translate/anthropic-types.js";
import { REPEATED_CALL } from "../../src/translate/assemble-content-blocks.js";
import { convertOpenAIResponse } from "../../src/translate/convert-openai-response.js";
import { convertOpenAIUsage } from "../../src/translate/convert-openai-usage.js";
import { mapFinishReason } from "../../src/translate/map-finish-reason.js";
import type { OpenAIChatResponse, OpenAIResponseMessage } from "../../src/translate/openai-types.js";
import { createAnthropicStreamTranslator } from "../../src/translate/stream/translate-openai-stream.js";
import type { TranslateOptions } from "../../src/translate/translate-options.js";
import { arrayToStream, baseOptions, createTestDeps, readTool, streamToArray, writeTool } from "../helpers/translate-helpers.js";

const schemaCache = createToolSchemaCache();

function convert(response: OpenAIChatResponse, options: Partial<TranslateOptions> = {}, tools: AnthropicTool[] = [writeTool, readTool]) {
  return convertOpenAIResponse(response, {
    model: "claude-opus-4-8",
    tools,
    options: { ...baseOptions, ...options },
    deps: createTestDeps(),
    schemaCache,
  });
}

/** An mlx-lm non-streaming response (protocol.md §1.5). */
function mlxResponse(message: OpenAIResponseMessage, finishReason = "stop"): OpenAIChatResponse {
  return {
    id: "chatcmpl-1c9d",
    object: "chat.completion",
    model: "default_model",
    created: 1756000000,
    choices: [{ index: 0, finish_reason: finishReason, message: { role: "assistant", ...message } }],
    usage: { prompt_tokens: 18231, completion_tokens: 57, total_tokens: 18288, prompt_tokens_details: { cached_tokens: 18012 } },
  };
}

const readCall = {
  function: { name: "Read", arguments: '{"file_path": "/a.ts"}' },
  type: "function",
  id: "3f0c2a4e-8d1b-4a59-9c07-1b2f3e4d5a6b",
};

describe("convertOpenAIResponse", () => {
  it("mlx reasoning + native tool call, thinking stripped", () => {
    expect(convert(mlxResponse({ content: null, reasoning: "Need the file.", tool_calls: [readCall] }, "tool_calls"))).toEqual({
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-opus-4-8",
      content: [{ type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/a.ts" } }],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 219, output_tokens: 57, cache_creation_input_tokens: 0, cache_read_input_tokens: 18012 },
    });
  });

  it("thinking exposed (reasoning or reasoning_content) → a thinking block with an empty signature", () => {
    const viaReasoning = convert(mlxResponse({ content: "Let me read it.", reasoning: "Need the file.", tool_calls: [readCall] }), {
      thinking: "expose",
    });
    expect(viaReasoning.content).toEqual([
      { type: "thinking", thinking: "Need the file.", signature: "" },
      { type: "text", text: "Let me read it." },
      { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/a.ts" } },
    ]);
    // mlx said "stop" although a call was made: tool_use wins.
    expect(viaReasoning.stop_reason).toBe("tool_use");
    const viaReasoningContent = convert(mlxResponse({ content: "4", reasoning_content: "Easy." }), { thinking: "expose" });
    expect(viaReasoningContent.content).toEqual([
      { type: "thinking", thinking: "Easy.", signature: "" },
      { type: "text", text: "4" },
    ]);
  });

  it("a call written only in reasoning_content, with no answer, is the answer (Qwen3 under a reasoning parser)", () => {
    const reasoning = 'I need the file.\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "/a.ts"}}\n</tool_call>';
    const response = convert(mlxResponse({ content: "", reasoning_content: reasoning }), { thinking: "strip" });
    expect(response.content).toEqual([{ type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/a.ts" } }]);
    expect(response.stop_reason).toBe("tool_use");
  });

  it("<think> tags in content are split out (expose) or dropped (strip)", () => {
    const response = mlxResponse({ content: "<think>\nadd them\n</think>\n\nIt is 4." });
    expect(convert(response, { thinking: "expose" }).content).toEqual([
      { type: "thinking", thinking: "add them\n", signature: "" },
      { type: "text", text: "It is 4." },
    ]);
    expect(convert(response).content).toEqual([{ type: "text", text: "It is 4." }]);
  });

  it("a Hermes text tool call in content → tool_use (toolFormat set)", () => {
    const response = mlxResponse({
      content: 'Checking.\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "/a.ts", "limit": "10"}}\n</tool_call>',
    });
    expect(convert(response, { toolFormat: "hermes" })).toMatchObject({
      content: [
        { type: "text", text: "Checking.\n" },
        { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/a.ts", limit: 10 } },
      ],
      stop_reason: "tool_use",
    });
  });

  it("the same call again in one answer runs once, counted as a repair; a call that differs still runs (a small model's loop of calls)", () => {
    const call = (path: string) => `<tool_call>\n{"name": "Read", "arguments": {"file_path": "${path}"}}\n</tool_call>\n`;
    const outcomes: Array<{ rejected: boolean; repairs: readonly string[] }> = [];
    const message = convertOpenAIResponse(mlxResponse({ content: call("/a.ts") + call("/b.ts") + call("/a.ts") + call("/b.ts") + call("/a.ts") }), {
      model: "claude-opus-4-8",
      tools: [writeTool, readTool],
      options: { ...baseOptions, toolFormat: "hermes" },
      deps: createTestDeps(),
      schemaCache,
      onToolCall: (outcome) => outcomes.push(outcome),
    });
    expect(message.content).toEqual([
      { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/a.ts" } },
      { type: "tool_use", id: "toolu_2", name: "Read", input: { file_path: "/b.ts" } },
    ]);
    expect(message.stop_reason).toBe("tool_use");
    expect(outcomes.map((outcome) => outcome.repairs)).toEqual([[], [], [REPEATED_CALL], [REPEATED_CALL], [REPEATED_CALL]]);
  });

  it("an invalid native call becomes a text note and the turn ends normally", () => {
    const bad = { ...readCall, function: { name: "Read", arguments: '{"path": "/a.ts"}' } };
    const message = convert(mlxResponse({ content: "Reading.", tool_calls: [bad] }, "tool_calls"));
    expect(message.content).toMatchInlineSnapshot(`
      [
        {
          "text": "Reading.",
          "type": "text",
        },
        {
          "text": "[mallex: the model wrote a tool call that was not run: Tool call to "Read" is missing required property "file_path", and has unknown property "path" (known properties: file_path, offset, limit)]
      Read {"path": "/a.ts"}",
          "type": "text",
        },
      ]
    `);
    expect(message.stop_reason).toBe("end_turn");
  });

  it("length → max_tokens; an empty answer has no blocks; missing usage counts 0", () => {
    const message = convert({ choices: [{ index: 0, finish_reason: "length", message: { role: "assistant", content: null } }] });
    expect(message).toMatchObject({
      content: [],
      stop_reason: "max_tokens",
      usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  it("length from the profile's own cap → max_tokens (the answer is cut), with a line saying where the limit is", () => {
    const message = convertOpenAIResponse(
      { choices: [{ index: 0, finish_reason: "length", message: { role: "assistant", content: "Once upon" } }] },
      { model: "m", tools: [], options: { ...baseOptions, profileName: "tiny" }, deps: createTestDeps(), outputCap: 48 },
    );
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.content).toEqual([
      {
        type: "text",
        text: "Once upon\n\n[mallex: the answer was cut at 48 tokens, the local model's output limit (max_output_tokens of profile tiny in mallex.yaml)]",
      },
    ]);
  });

  it("length short of max_tokens is the full context: model_context_window_exceeded, never blamed on max_output_tokens", () => {
    const message = convertOpenAIResponse(
      {
        choices: [{ index: 0, finish_reason: "length", message: { role: "assistant", content: "Once upon" } }],
        usage: { prompt_tokens: 2478, completion_tokens: 1618, total_tokens: 4096 },
      },
      {
        model: "m",
        tools: [],
        options: { ...baseOptions, profileName: "tiny" },
        deps: createTestDeps(),
        outputCap: 16384,
        maxTokens: 16384,
        contextWindow: 4096,
      },
    );
    expect(message.stop_reason).toBe("model_context_window_exceeded");
    expect(message.content).toEqual([{ type: "text", text: "Once upon" }]);
  });

  it("ownMarkupOnly (the user asked to be shown a call): a fenced call is text, a <tool_call> still runs, whole and streamed", async () => {
    const fenced = '```json\n{"name": "Read", "arguments": {"file_path": "/a.ts"}}\n```';
    const tagged = '<tool_call>\n{"name": "Read", "arguments": {"file_path": "/a.ts"}}\n</tool_call>';
    const ctx = (ownMarkupOnly: boolean) => ({
      model: "m",
      tools: [writeTool, readTool],
      options: baseOptions,
      deps: createTestDeps(),
      schemaCache,
      ...(ownMarkupOnly ? { ownMarkupOnly } : {}),
    });
    const whole = (content: string, ownMarkupOnly: boolean) =>
      convertOpenAIResponse(mlxResponse({ content }), ctx(ownMarkupOnly)).content.map((block) => block.type);
    expect(whole(fenced, false)).toEqual(["tool_use"]);
    expect(whole(fenced, true)).toEqual(["text"]);
    expect(whole(tagged, true)).toEqual(["tool_use"]);
    const chunks = [...fenced].map((char) => ({ success: true as const, value: { choices: [{ index: 0, delta: { content: char }, finish_reason: null }] } }));
    const stop = { success: true as const, value: { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] } };
    const events = await streamToArray(arrayToStream([...chunks, stop]).pipeThrough(createAnthropicStreamTranslator(ctx(true))));
    expect(events.flatMap((event) => (event.type === "content_block_start" ? [event.content_block.type] : []))).toEqual(["text"]);
  });

  it("an error body throws with the upstream message", () => {
    expect(() => convert({ error: { message: "Model not loaded" } })).toThrow("The model server reported an error: Model not loaded");
    expect(() => convert({ error: "boom" } as OpenAIChatResponse)).toThrow("The model server reported an error: boom");
    // No message: the error as JSON; megabytes of it: the first 2,000 characters.
    expect(() => convert({ error: { type: "oom", code: 500 } })).toThrow('The model server reported an error: {"type":"oom","code":500}');
    expect(() => convert({ error: { message: "y".repeat(100_000) } })).toThrow(`reported an error: ${"y".repeat(2000)}… [98,000 more chars cut by mallex]`);
  });

  it("builds the same content as the stream translator for the same output", async () => {
    const message: OpenAIResponseMessage = {
      content: "<think>plan</think>Writing.",
      reasoning: "first",
      tool_calls: [{ id: "c1", type: "function", function: { name: "Write", arguments: '{"file_path":"/a","content":"x"}' } }],
    };
    const options: TranslateOptions = { ...baseOptions, thinking: "expose" };
    const nonStreaming = convert(mlxResponse(message), options);
    const translator = createAnthropicStreamTranslator({
      model: "claude-opus-4-8",
      tools: [writeTool],
      options,
      deps: createTestDeps(),
      schemaCache,
    });
    const chunk = {
      choices: [
        {
          index: 0,
          finish_reason: "stop",
          delta: { ...message, tool_calls: message.tool_calls?.map((call, index) => ({ index, ...call })) },
        },
      ],
    };
    const events = await streamToArray(arrayToStream([{ success: true as const, value: chunk }]).pipeThrough(translator));
    const starts = events.flatMap((event) => (event.type === "content_block_start" ? [event.content_block.type] : []));
    expect(starts).toEqual(nonStreaming.content.map((block) => block.type));
    expect(nonStreaming.content).toEqual([
      { type: "thinking", thinking: "firstplan", signature: "" },
      { type: "text", text: "Writing." },
      { type: "tool_use", id: "toolu_1", name: "Write", input: { file_path: "/a", content: "x" } },
    ]);
  });
});

describe("convertOpenAIUsage", () => {
  it("splits the prompt into uncached input and cache reads", () => {
    expect(convertOpenAIUsage({ prompt_tokens: 18231, completion_tokens: 57, prompt_tokens_details: { cached_tokens: 18012 } })).toEqual({
      input_tokens: 219,
      output_tokens: 57,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 18012,
    });
  });

  it("tolerates missing, null and inconsistent fields", () => {
    const zero = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    expect(convertOpenAIUsage(undefined)).toEqual(zero);
    expect(convertOpenAIUsage({ prompt_tokens: null, completion_tokens: null, prompt_tokens_details: null })).toEqual(zero);
    expect(convertOpenAIUsage({ prompt_tokens: 10, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 50 } })).toEqual({
      input_tokens: 0,
      output_tokens: 1,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 10,
    });
  });
});

describe("mapFinishReason", () => {
  it.each([
    ["stop", false, "end_turn"],
    ["length", false, "max_tokens"],
    ["tool_calls", false, "end_turn"],
    ["function_call", false, "end_turn"],
    ["content_filter", false, "end_turn"],
    [null, false, "end_turn"],
    [undefined, false, "end_turn"],
    ["eos_token", false, "end_turn"],
    ["stop", true, "tool_use"],
    ["length", true, "tool_use"],
    ["tool_calls", true, "tool_use"],
  ] as const)("%s (tool_use emitted: %s) → %s", (reason, emitted, expected) => {
    expect(mapFinishReason(reason, emitted)).toBe(expected);
  });
});

describe("anthropic errors", () => {
  it("builds the envelope, with request_id only when given", () => {
    expect(toAnthropicError(400, undefined, "messages.0: bad")).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: "messages.0: bad" },
    });
    expect(toAnthropicError(529, "overloaded_error", "Overloaded", "req_1")).toEqual({
      type: "error",
      error: { type: "overloaded_error", message: "Overloaded" },
      request_id: "req_1",
    });
  });

  it.each([
    [400, "invalid_request_error"],
    [401, "authentication_error"],
    [402, "billing_error"],
    [403, "permission_error"],
    [404, "not_found_error"],
    [413, "request_too_large"],
    [429, "rate_limit_error"],
    [500, "api_error"],
    [504, "timeout_error"],
    [529, "overloaded_error"],
    [422, "invalid_request_error"],
    [503, "api_error"],
  ] as const)("status %i ↔ %s", (status, type) => {
    expect(mapStatusToErrorType(status)).toBe(type);
    if (![422, 503].includes(status)) expect(mapErrorTypeToStatus(type as AnthropicErrorType)).toBe(status);
  });
});
