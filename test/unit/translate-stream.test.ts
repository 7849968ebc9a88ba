import { describe, expect, it, vi } from "vitest";
import { createToolSchemaCache } from "../../src/tools/check-tool-call.js";
import type { AnthropicStreamEvent, AnthropicTool } from "../../src/translate/anthropic-types.js";
import { createContentBlockAccumulator } from "../../src/translate/accumulate-content-blocks.js";
import type { ContentBlockEvent } from "../../src/translate/assemble-content-blocks.js";
import { formatSSE } from "../../src/translate/stream/format-sse.js";
import type { OpenAIChunk } from "../../src/translate/openai-types.js";
import { parseOpenAIEventStream } from "../../src/translate/stream/parse-openai-sse.js";
import type { TranslatorInput } from "../../src/translate/stream/stream-types.js";
import { createAnthropicStreamTranslator } from "../../src/translate/stream/translate-openai-stream.js";
import type { TranslateOptions } from "../../src/translate/translate-options.js";
import {
  arrayToStream,
  baseOptions,
  createTestDeps,
  expectWellFormedStream,
  fixtureToSSEStream,
  readTool,
  streamToArray,
  summarize,
  writeTool,
} from "../helpers/translate-helpers.js";

// One compile cache for the file, as the server keeps one: recompiling schemas per run is slow.
const schemaCache = createToolSchemaCache();

interface RunOptions {
  options?: Partial<TranslateOptions>;
  tools?: AnthropicTool[];
  splitEvery?: number;
  outputCap?: number;
  contextWindow?: number;
  maxTokens?: number;
}

function createTranslator(run: RunOptions = {}) {
  return createAnthropicStreamTranslator({
    model: "claude-opus-4-8",
    tools: run.tools ?? [writeTool, readTool],
    options: { ...baseOptions, ...run.options },
    deps: createTestDeps(),
    schemaCache,
    ...(run.outputCap !== undefined ? { outputCap: run.outputCap } : {}),
    contextWindow: run.contextWindow,
    maxTokens: run.maxTokens,
  });
}

/** A recorded fixture through the whole pipeline: SSE bytes → parser → translator. */
async function translateFixture(name: string, run: RunOptions = {}): Promise<AnthropicStreamEvent[]> {
  const parsed = parseOpenAIEventStream(fixtureToSSEStream(name, run.splitEvery));
  const events = await streamToArray(parsed.pipeThrough(createTranslator(run)));
  expectWellFormedStream(events);
  return events;
}

/** Inputs written straight into the translator (signals, odd chunks). */
async function translateInputs(inputs: TranslatorInput[], run: RunOptions = {}): Promise<AnthropicStreamEvent[]> {
  const events = await streamToArray(arrayToStream(inputs).pipeThrough(createTranslator(run)));
  expectWellFormedStream(events);
  return events;
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null): TranslatorInput => ({
  success: true,
  value: { choices: [{ index: 0, finish_reason: finish, delta: { role: "assistant", ...delta } }] } as OpenAIChunk,
});

function blocksOf(events: readonly AnthropicStreamEvent[]) {
  const accumulator = createContentBlockAccumulator();
  for (const event of events) {
    if (event.type.startsWith("content_block_")) accumulator.push(event as ContentBlockEvent);
  }
  return accumulator.blocks();
}

describe("createAnthropicStreamTranslator: recorded streams", () => {
  it("text only (mlx keepalive comments, usage chunk with choices: [])", async () => {
    const events = await translateFixture("mlx-text");
    expect(events[0]).toEqual({
      type: "message_start",
      message: {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "claude-opus-4-8",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    });
    expect(events.at(-2)).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { input_tokens: 219, output_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 18012 },
    });
    expect(summarize(events)).toMatchInlineSnapshot(`
      [
        "message_start msg_1 claude-opus-4-8 in=0",
        "ping",
        "start 0 text",
        "delta 0 text_delta "The answer"",
        "delta 0 text_delta " is 4 ✓"",
        "delta 0 text_delta "."",
        "stop 0",
        "message_delta end_turn {"input_tokens":219,"output_tokens":4,"cache_creation_input_tokens":0,"cache_read_input_tokens":18012}",
        "message_stop",
      ]
    `);
  });

  it("reasoning exposed: a thinking block closed by an empty signature_delta", async () => {
    const events = await translateFixture("mlx-reasoning", { options: { thinking: "expose" } });
    expect(summarize(events)).toMatchInlineSnapshot(`
      [
        "message_start msg_1 claude-opus-4-8 in=0",
        "ping",
        "start 0 thinking",
        "delta 0 thinking_delta "The user asks"",
        "delta 0 thinking_delta " 2+2."",
        "delta 0 signature_delta """,
        "stop 0",
        "start 1 text",
        "delta 1 text_delta "4"",
        "stop 1",
        "message_delta end_turn {"input_tokens":120,"output_tokens":9,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}",
        "message_stop",
      ]
    `);
  });

  it("reasoning stripped: only the text block, at index 0", async () => {
    const events = await translateFixture("mlx-reasoning", { options: { thinking: "strip" } });
    expect(summarize(events)).toMatchInlineSnapshot(`
      [
        "message_start msg_1 claude-opus-4-8 in=0",
        "ping",
        "start 0 text",
        "delta 0 text_delta "4"",
        "stop 0",
        "message_delta end_turn {"input_tokens":120,"output_tokens":9,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}",
        "message_stop",
      ]
    `);
  });

  it("<think> tags split across chunks become a thinking block (expose)", async () => {
    const events = await translateFixture("mlx-think-tags", { options: { thinking: "expose" } });
    expect(summarize(events)).toMatchInlineSnapshot(`
      [
        "message_start msg_1 claude-opus-4-8 in=0",
        "ping",
        "start 0 thinking",
        "delta 0 thinking_delta "Let me"",
        "delta 0 thinking_delta " add."",
        "delta 0 signature_delta """,
        "stop 0",
        "start 1 text",
        "delta 1 text_delta "It is"",
        "delta 1 text_delta " 4 <b>"",
        "delta 1 text_delta "</b>"",
        "stop 1",
        "message_delta end_turn {"input_tokens":50,"output_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}",
        "message_stop",
      ]
    `);
  });

  it("<think> tags split across chunks are dropped (strip)", async () => {
    const events = await translateFixture("mlx-think-tags", { options: { thinking: "strip" } });
    expect(blocksOf(events)).toEqual([{ type: "text", text: "It is 4 <b></b>" }]);
  });

  it("a whole native tool call (mlx) → tool_use with a toolu_ id, stop_reason tool_use", async () => {
    const events = await translateFixture("mlx-tool-call-whole");
    expect(summarize(events)).toMatchInlineSnapshot(`
      [
        "message_start msg_1 claude-opus-4-8 in=0",
        "ping",
        "start 0 text",
        "delta 0 text_delta "I'll create hello.txt."",
        "stop 0",
        "start 1 tool_use toolu_1 Write",
        "delta 1 input_json_delta "{\\"file_path\\":\\"/home/dev/tiny-repo/hello.txt\\",\\"content\\":\\"hi\\"}"",
        "stop 1",
        "message_delta tool_use {"input_tokens":163,"output_tokens":40,"cache_creation_input_tokens":0,"cache_read_input_tokens":18944}",
        "message_stop",
      ]
    `);
    expect(blocksOf(events)).toEqual([
      { type: "text", text: "I'll create hello.txt." },
      { type: "tool_use", id: "toolu_1", name: "Write", input: { file_path: "/home/dev/tiny-repo/hello.txt", content: "hi" } },
    ]);
  });

  it("incremental tool calls interleaved by index (vLLM), usage with choices: null", async () => {
    const events = await translateFixture("vllm-tool-call-incremental");
    expect(summarize(events)).toMatchInlineSnapshot(`
      [
        "message_start msg_1 claude-opus-4-8 in=0",
        "ping",
        "start 0 tool_use toolu_1 Read",
        "delta 0 input_json_delta "{\\"file_path\\":\\"/a.ts\\"}"",
        "stop 0",
        "start 1 tool_use toolu_2 Write",
        "delta 1 input_json_delta "{\\"file_path\\":\\"/b.txt\\",\\"content\\":\\"x\\"}"",
        "stop 1",
        "message_delta tool_use {"input_tokens":900,"output_tokens":31,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}",
        "message_stop",
      ]
    `);
  });

  it("content and finish_reason in one chunk, usage inline (llama.cpp)", async () => {
    const events = await translateFixture("llamacpp-content-and-finish", { options: { thinking: "expose" } });
    expect(summarize(events)).toMatchInlineSnapshot(`
      [
        "message_start msg_1 claude-opus-4-8 in=0",
        "ping",
        "start 0 thinking",
        "delta 0 thinking_delta "Simple sum."",
        "delta 0 signature_delta """,
        "stop 0",
        "start 1 text",
        "delta 1 text_delta "2+2"",
        "delta 1 text_delta " equals"",
        "stop 1",
        "message_delta max_tokens {"input_tokens":14,"output_tokens":5,"cache_creation_input_tokens":0,"cache_read_input_tokens":16}",
        "message_stop",
      ]
    `);
  });

  it("EOF without [DONE] or finish_reason → the open block is closed, then an api_error event", async () => {
    const events = await translateFixture("mlx-eof-without-done");
    expect(summarize(events)).toMatchInlineSnapshot(`
      [
        "message_start msg_1 claude-opus-4-8 in=0",
        "ping",
        "start 0 text",
        "delta 0 text_delta "Let me "",
        "delta 0 text_delta "check"",
        "stop 0",
        "error api_error: The model server closed the stream before the response was complete (no finish_reason, no [DONE]).",
      ]
    `);
    expect(events.map((event) => event.type)).not.toContain("message_stop");
  });

  it("a malformed chunk → an api_error event that ends the stream", async () => {
    const events = await translateFixture("mlx-malformed-chunk");
    expect(summarize(events)).toMatchInlineSnapshot(`
      [
        "message_start msg_1 claude-opus-4-8 in=0",
        "ping",
        "start 0 text",
        "delta 0 text_delta "Hello"",
        "stop 0",
        "error api_error: The model server sent a malformed stream chunk: malformed JSON chunk from upstream: {"id":"chatcmpl-7f1c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"wor",
      ]
    `);
  });

  it("invalid native tool calls become text notes, and stop_reason is not tool_use", async () => {
    const events = await translateFixture("mlx-invalid-tool-call");
    expect(summarize(events)).toMatchInlineSnapshot(`
      [
        "message_start msg_1 claude-opus-4-8 in=0",
        "ping",
        "start 0 text",
        "delta 0 text_delta "[mallex: the model wrote a tool call that was not run: Tool call to \\"Write\\" is missing required property \\"content\\"]\\nWrite {\\"file_path\\": \\"/tmp/a.txt\\"}"",
        "stop 0",
        "start 1 text",
        "delta 1 text_delta "[mallex: the model wrote a tool call that was not run: Tool \\"Delete\\" does not exist; the available tools are Write, Read]\\nDelete {\\"path\\": \\"/\\"}"",
        "stop 1",
        "message_delta end_turn {"input_tokens":300,"output_tokens":20,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}",
        "message_stop",
      ]
    `);
  });

  it("a Qwen3-Coder XML tool call leaked into content (native mode + toolFormat) → tool_use", async () => {
    const events = await translateFixture("mlx-qwen3-coder-leak", { options: { toolFormat: "qwen3-coder" } });
    expect(summarize(events)).toMatchInlineSnapshot(`
      [
        "message_start msg_1 claude-opus-4-8 in=0",
        "ping",
        "start 0 text",
        "delta 0 text_delta "I'll writ"",
        "delta 0 text_delta "e it.\\n"",
        "stop 0",
        "start 1 tool_use toolu_1 Write",
        "delta 1 input_json_delta "{\\"file_path\\":\\"/tmp/hello.txt\\",\\"content\\":\\"hi there\\"}"",
        "stop 1",
        "message_delta tool_use {"input_tokens":500,"output_tokens":41,"cache_creation_input_tokens":0,"cache_read_input_tokens":1500}",
        "message_stop",
      ]
    `);
    expect(blocksOf(events)).toEqual([
      { type: "text", text: "I'll write it.\n" },
      { type: "tool_use", id: "toolu_1", name: "Write", input: { file_path: "/tmp/hello.txt", content: "hi there" } },
    ]);
  });

  it("without a toolFormat, auto-detection finds the same leaked call (any family's markers are watched)", async () => {
    const events = await translateFixture("mlx-qwen3-coder-leak");
    expect(blocksOf(events)).toEqual([
      { type: "text", text: "I'll write it.\n" },
      { type: "tool_use", id: "toolu_1", name: "Write", input: { file_path: "/tmp/hello.txt", content: "hi there" } },
    ]);
    expect(events.at(-2)).toMatchObject({ delta: { stop_reason: "tool_use" } });
  });

  it("gives the same blocks for any split of the bytes", async () => {
    for (const name of ["mlx-think-tags", "mlx-qwen3-coder-leak", "vllm-tool-call-incremental"]) {
      const run = { options: { thinking: "expose", toolFormat: "qwen3-coder" } } as const;
      const reference = blocksOf(await translateFixture(name, { ...run, splitEvery: 100_000 }));
      for (const splitEvery of [1, 2, 3, 5, 13, 64]) {
        expect(blocksOf(await translateFixture(name, { ...run, splitEvery })), `${name} split ${splitEvery}`).toEqual(reference);
      }
    }
  });
});

describe("createAnthropicStreamTranslator: content split invariance", () => {
  const content =
    "<think>plan the file</think>\n\nI'll write it.\n<tool_call>\n<function=Write>\n<parameter=file_path>\n" +
    "/tmp/hello.txt\n</parameter>\n<parameter=content>\nhi </think> there\n</parameter>\n</function>\n</tool_call>\nDone.";

  async function blocksForSplit(size: number, thinking: "strip" | "expose") {
    const inputs: TranslatorInput[] = [];
    for (let at = 0; at < content.length; at += size) inputs.push(chunk({ content: content.slice(at, at + size) }));
    inputs.push(chunk({}, "stop"), { type: "done" });
    return blocksOf(await translateInputs(inputs, { options: { thinking, toolFormat: "qwen3-coder" } }));
  }

  it("gives the same blocks for every content chunk size", async () => {
    const reference = await blocksForSplit(content.length, "expose");
    expect(reference).toEqual([
      { type: "thinking", thinking: "plan the file", signature: "" },
      { type: "text", text: "I'll write it.\n" },
      { type: "tool_use", id: "toolu_1", name: "Write", input: { file_path: "/tmp/hello.txt", content: "hi </think> there" } },
      { type: "text", text: "Done." },
    ]);
    for (let size = 1; size < content.length; size += 1) {
      expect(await blocksForSplit(size, "expose"), `chunks of ${size}`).toEqual(reference);
    }
    expect(await blocksForSplit(4, "strip")).toEqual(reference.slice(1));
  });
});

describe("createAnthropicStreamTranslator: tool modes", () => {
  it("xml mode parses mallex's own <invoke> format without a toolFormat", async () => {
    const events = await translateInputs(
      [
        chunk({ content: 'Reading.<invoke name="Read">\n<parameter name="file_path">/a.ts</parameter>\n' }),
        chunk({ content: '<parameter name="limit">20</parameter>\n</invoke>' }),
        chunk({}, "stop"),
        { type: "done" },
      ],
      { options: { toolMode: "xml" } },
    );
    expect(blocksOf(events)).toEqual([
      { type: "text", text: "Reading." },
      { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/a.ts", limit: 20 } },
    ]);
    expect(events.at(-2)).toMatchObject({ delta: { stop_reason: "tool_use" } });
  });

  // What the real Qwen2.5-Coder-1.5B answered under `mallex run --embedded`: the engine returned it as content.
  it("native mode: a fenced JSON call as the whole content → tool_use, on any split", async () => {
    const content =
      '```json\n{\n  "name": "Write",\n  "arguments": {\n    "file_path": "/tmp/cc-proj/hello.txt",\n    "content": "Hello from mallex"\n  }\n}\n```';
    for (const size of [1, 2, 7, content.length]) {
      const inputs: TranslatorInput[] = [];
      for (let at = 0; at < content.length; at += size) inputs.push(chunk({ content: content.slice(at, at + size) }));
      const events = await translateInputs([...inputs, chunk({}, "stop"), { type: "done" }]);
      expect(blocksOf(events), `chunks of ${size}`).toEqual([
        { type: "tool_use", id: "toolu_1", name: "Write", input: { file_path: "/tmp/cc-proj/hello.txt", content: "Hello from mallex" } },
      ]);
      expect(events.at(-2)).toMatchObject({ delta: { stop_reason: "tool_use" } });
    }
  });

  it("native mode: the same call in a fence introduced as an example stays text", async () => {
    const text = 'Here is an example of a Write call:\n\n```json\n{"name": "Write", "arguments": {"file_path": "/x", "content": "y"}}\n```';
    const events = await translateInputs([chunk({ content: text }, "stop"), { type: "done" }]);
    expect(blocksOf(events)).toEqual([{ type: "text", text }]);
    expect(events.at(-2)).toMatchObject({ delta: { stop_reason: "end_turn" } });
  });

  it("text is not parsed for calls when the request has no tools", async () => {
    const text = '<tool_call>{"name": "Read", "arguments": {"file_path": "/a"}}</tool_call>';
    const events = await translateInputs([chunk({ content: text }, "stop"), { type: "done" }], {
      tools: [],
      options: { toolFormat: "hermes" },
    });
    expect(blocksOf(events)).toEqual([{ type: "text", text }]);
  });

  it("a native call to a tool the request does not offer becomes a note", async () => {
    const events = await translateInputs(
      [chunk({ tool_calls: [{ index: 0, id: "x", type: "function", function: { name: "Read", arguments: "{}" } }] }, "tool_calls"), { type: "done" }],
      { tools: [] },
    );
    expect(summarize(events)).toMatchInlineSnapshot(`
      [
        "message_start msg_1 claude-opus-4-8 in=0",
        "ping",
        "start 0 text",
        "delta 0 text_delta "[mallex: the model wrote a tool call that was not run: Tool \\"Read\\" does not exist: the request offers no tools]\\nRead {}"",
        "stop 0",
        "message_delta end_turn {"output_tokens":0}",
        "message_stop",
      ]
    `);
  });

  it("a call with empty arguments (a tool without parameters) gets {} as input", async () => {
    const taskList: AnthropicTool = { name: "TaskList", input_schema: { type: "object", properties: {} } };
    const events = await translateInputs(
      [
        chunk({ tool_calls: [{ index: 0, id: "x", type: "function", function: { name: "TaskList", arguments: "" } }] }),
        chunk({}, "tool_calls"),
        { type: "done" },
      ],
      { tools: [taskList] },
    );
    expect(blocksOf(events)).toEqual([{ type: "tool_use", id: "toolu_1", name: "TaskList", input: {} }]);
  });

  it("a Write of 512 KB in 4-character fragments (how llama-server streams it) is read once, whole and exact", async () => {
    const content = "line }\n".repeat((512 * 1024) / 8);
    const args = JSON.stringify({ file_path: "/big.txt", content });
    const fragments = Array.from({ length: Math.ceil(args.length / 4) }, (_, i) => args.slice(i * 4, i * 4 + 4));
    const inputs = [
      chunk({ tool_calls: [{ index: 0, id: "x", type: "function", function: { name: "Write", arguments: "" } }] }),
      ...fragments.map((fragment) => chunk({ tool_calls: [{ index: 0, function: { arguments: fragment } }] })),
      chunk({}, "tool_calls"),
      { type: "done" } as const,
    ];
    const events = await translateInputs(inputs);
    expect(blocksOf(events)).toEqual([{ type: "tool_use", id: "toolu_1", name: "Write", input: { file_path: "/big.txt", content } }]);
  });

  it("arguments nested deeper than 256 levels are a note, not parsed", async () => {
    const events = await translateInputs([
      chunk({ tool_calls: [{ index: 0, id: "x", type: "function", function: { name: "Read", arguments: `{"file_path": ${"[".repeat(100_000)}` } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: "]".repeat(100_000) + "}" } }] }, "tool_calls"),
      { type: "done" },
    ]);
    const blocks = blocksOf(events);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({
      type: "text",
      text: expect.stringMatching(
        /^\[mallex: the model wrote a tool call that was not run: its arguments nest deeper than 256 levels\]\nRead \{"file_path": \[{20}/,
      ),
    });
  });

  it("a call cut off by max_tokens is shown as a note, never run", async () => {
    const events = await translateInputs([
      chunk({ tool_calls: [{ index: 0, id: "x", type: "function", function: { name: "Read", arguments: '{"file_path": "/a' } }] }),
      chunk({}, "length"),
      { type: "done" },
    ]);
    expect(summarize(events).slice(2)).toMatchInlineSnapshot(`
      [
        "start 0 text",
        "delta 0 text_delta "[mallex: the model wrote a tool call that was not run: its arguments are not a JSON object]\\nRead {\\"file_path\\": \\"/a"",
        "stop 0",
        "message_delta max_tokens {"output_tokens":0}",
        "message_stop",
      ]
    `);
  });
  const usageChunk = (prompt: number, completion: number): TranslatorInput => ({
    success: true,
    value: { choices: [], usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } } as OpenAIChunk,
  });

  it("an answer the full context stopped (length short of max_tokens, usage after the finish chunk) ends model_context_window_exceeded, with no cap note", async () => {
    const events = await translateInputs([chunk({ content: "Once upon" }), chunk({}, "length"), usageChunk(2478, 1618), { type: "done" }], {
      outputCap: 16384,
      maxTokens: 16384,
      contextWindow: 4096,
      options: { profileName: "tiny" },
    });
    expect(summarize(events).slice(2)).toEqual([
      "start 0 text",
      'delta 0 text_delta "Once upon"',
      "stop 0",
      'message_delta model_context_window_exceeded {"input_tokens":2478,"output_tokens":1618,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}',
      "message_stop",
    ]);
  });

  it("prompt and answer filling the context is the context's doing even at max_tokens; max_tokens reached with room left stays max_tokens", async () => {
    const full = await translateInputs([chunk({ content: "a" }), chunk({}, "length"), usageChunk(3000, 1096), { type: "done" }], {
      maxTokens: 1096,
      contextWindow: 4096,
    });
    expect(full.find((event) => event.type === "message_delta")).toMatchObject({ delta: { stop_reason: "model_context_window_exceeded" } });
    const roomy = await translateInputs([chunk({ content: "a" }), chunk({}, "length"), usageChunk(100, 1096), { type: "done" }], {
      maxTokens: 1096,
      contextWindow: 4096,
    });
    expect(roomy.find((event) => event.type === "message_delta")).toMatchObject({ delta: { stop_reason: "max_tokens" } });
  });

  it("a length finish whose usage never comes settles at the end: max_tokens, the answer kept", async () => {
    const events = await translateInputs([chunk({ content: "Once" }), chunk({}, "length")], { maxTokens: 100, contextWindow: 4096 });
    expect(summarize(events).slice(2)).toEqual([
      "start 0 text",
      'delta 0 text_delta "Once"',
      "stop 0",
      'message_delta max_tokens {"output_tokens":0}',
      "message_stop",
    ]);
  });

  it("an answer ended by the profile's own cap ends max_tokens (it is cut), with a line saying where the cap is (Claude Code's own message names its max_tokens)", async () => {
    const events = await translateInputs([chunk({ content: "Once upon" }), chunk({}, "length"), { type: "done" }], {
      outputCap: 48,
      options: { profileName: "tiny" },
    });
    expect(summarize(events).slice(2)).toMatchInlineSnapshot(`
      [
        "start 0 text",
        "delta 0 text_delta "Once upon"",
        "delta 0 text_delta "\\n\\n[mallex: the answer was cut at 48 tokens, the local model's output limit (max_output_tokens of profile tiny in mallex.yaml)]"",
        "stop 0",
        "message_delta max_tokens {"output_tokens":0}",
        "message_stop",
      ]
    `);
  });
});

/** `text` cut into pieces of `size` characters (the last may be shorter). */
const pieces = (text: string, size: number) => Array.from({ length: Math.ceil(text.length / size) }, (_, at) => text.slice(at * size, (at + 1) * size));

// Qwen3 under vLLM's and mlx-lm's reasoning parsers sometimes writes its call only in the reasoning
// (Qwen3#1459, vllm#51679): the answer is then empty, and the call the reasoning ends with is it.
describe("createAnthropicStreamTranslator: a call written only in the reasoning", () => {
  const CALL = '<tool_call>\n{"name": "Read", "arguments": {"file_path": "/src/a.ts"}}\n</tool_call>';
  for (const size of [1, 3, 7, 1000]) {
    for (const thinking of ["expose", "strip"] as const) {
      it(`with no answer, the call the reasoning ends with runs (reasoning_content in ${size}-character pieces, thinking ${thinking})`, async () => {
        const reasoning = `The user wants the file. I will read it.\n${CALL}\n`;
        const events = await translateInputs(
          [...pieces(reasoning, size).map((piece) => chunk({ reasoning_content: piece })), chunk({}, "stop"), { type: "done" }],
          { options: { thinking } },
        );
        const blocks = blocksOf(events);
        expect(blocks.filter((block) => block.type === "tool_use")).toEqual([
          expect.objectContaining({ type: "tool_use", name: "Read", input: { file_path: "/src/a.ts" } }),
        ]);
        expect(blocks.filter((block) => block.type === "text")).toEqual([]);
        expect(events.find((event) => event.type === "message_delta")).toMatchObject({ delta: { stop_reason: "tool_use" } });
      });
    }
  }

  it("a call the reasoning considered and went on from does not run", async () => {
    const reasoning = `Maybe ${CALL}\nNo: I know the answer already, it is 4.`;
    const events = await translateInputs([chunk({ reasoning_content: reasoning }), chunk({}, "stop"), { type: "done" }], { options: { thinking: "strip" } });
    expect(blocksOf(events)).toEqual([]);
    expect(events.find((event) => event.type === "message_delta")).toMatchObject({ delta: { stop_reason: "end_turn" } });
  });

  it("<think> in the content: a call the thoughts weigh and close on does not run, the one after them does (every chunking)", async () => {
    const weighed = '<tool_call>\n{"name": "Write", "arguments": {"file_path": "/a", "content": "x"}}\n</tool_call>';
    const content = `<think>I could ${weighed} but reading comes first.</think>\n\n${CALL}`;
    for (const size of [1, 5, 1000]) {
      const events = await translateInputs([...pieces(content, size).map((piece) => chunk({ content: piece })), chunk({}, "stop"), { type: "done" }], {
        options: { thinking: "strip" },
      });
      expect(blocksOf(events)).toEqual([expect.objectContaining({ type: "tool_use", name: "Read", input: { file_path: "/src/a.ts" } })]);
    }
  });

  it("with an answer, a call in the reasoning stays reasoning", async () => {
    const events = await translateInputs(
      [chunk({ reasoning_content: `Let me think. ${CALL}` }), chunk({ content: "It is 4." }), chunk({}, "stop"), { type: "done" }],
      { options: { thinking: "strip" } },
    );
    expect(blocksOf(events)).toEqual([{ type: "text", text: "It is 4." }]);
  });
});

describe("createAnthropicStreamTranslator: signals and failures", () => {
  it("emits message_start then ping at once, echoing the requested model and the input estimate", async () => {
    const translator = createAnthropicStreamTranslator({
      model: "claude-sonnet-4-6",
      tools: undefined,
      options: baseOptions,
      deps: createTestDeps(),
      inputTokensEstimate: 19095,
    });
    const reader = translator.readable.getReader();
    expect((await reader.read()).value).toMatchObject({
      type: "message_start",
      message: { model: "claude-sonnet-4-6", usage: { input_tokens: 19095 } },
    });
    expect((await reader.read()).value).toEqual({ type: "ping" });
    reader.releaseLock();
  });

  it("a ping signal becomes a ping event, also in the middle of a block", async () => {
    const events = await translateInputs([{ type: "ping" }, chunk({ content: "Hi" }), { type: "ping" }, chunk({ content: "!" }, "stop"), { type: "done" }]);
    expect(summarize(events)).toMatchInlineSnapshot(`
      [
        "message_start msg_1 claude-opus-4-8 in=0",
        "ping",
        "ping",
        "start 0 text",
        "delta 0 text_delta "Hi"",
        "ping",
        "delta 0 text_delta "!"",
        "stop 0",
        "message_delta end_turn {"output_tokens":0}",
        "message_stop",
      ]
    `);
  });

  it("an upstream failure ends the stream with its error; nothing is emitted after it", async () => {
    const events = await translateInputs(
      [
        chunk({ reasoning: "Thinking" }),
        { type: "upstream-error", error: { type: "overloaded_error", message: "The model server sent nothing for 300 s." } },
        chunk({ content: "late" }),
        { type: "ping" },
      ],
      { options: { thinking: "expose" } },
    );
    expect(summarize(events)).toMatchInlineSnapshot(`
      [
        "message_start msg_1 claude-opus-4-8 in=0",
        "ping",
        "start 0 thinking",
        "delta 0 thinking_delta "Thinking"",
        "delta 0 signature_delta """,
        "stop 0",
        "error overloaded_error: The model server sent nothing for 300 s.",
      ]
    `);
  });

  it("a failure is written as the signal classified it", async () => {
    const events = await translateInputs([{ type: "upstream-error", error: { type: "api_error", message: "socket hang up" } }]);
    expect(events.at(-1)).toEqual({ type: "error", error: { type: "api_error", message: "socket hang up" } });
  });

  it("an error object inside the stream (vLLM/llama.cpp) → api_error with its message", async () => {
    const events = await translateInputs([
      chunk({ content: "Hi" }),
      { success: true, value: { error: { message: "CUDA out of memory", type: "InternalServerError" } } },
    ]);
    expect(summarize(events).slice(2)).toMatchInlineSnapshot(`
      [
        "start 0 text",
        "delta 0 text_delta "Hi"",
        "stop 0",
        "error api_error: The model server reported an error: CUDA out of memory",
      ]
    `);
  });

  it("an error event of megabytes is passed on as its first 2,000 characters and how many more there were", async () => {
    const events = await translateInputs([{ success: true, value: { error: { message: "x".repeat(3_000_000) } } }]);
    expect(events.at(-1)).toEqual({
      type: "error",
      error: { type: "api_error", message: `The model server reported an error: ${"x".repeat(2000)}… [2,998,000 more chars cut by mallex]` },
    });
  });

  it("a failure after finish_reason keeps the complete answer (message_stop, no usage)", async () => {
    const events = await translateInputs([
      chunk({ content: "Done." }, "stop"),
      { type: "upstream-error", error: { type: "overloaded_error", message: "no usage chunk" } },
    ]);
    expect(summarize(events).slice(2)).toMatchInlineSnapshot(`
      [
        "start 0 text",
        "delta 0 text_delta "Done."",
        "stop 0",
        "message_delta end_turn {"output_tokens":0}",
        "message_stop",
      ]
    `);
  });

  it("EOF after finish_reason but without [DONE] ends normally", async () => {
    const events = await translateInputs([
      chunk({ content: "Done." }, "stop"),
      { success: true, value: { choices: [], usage: { prompt_tokens: 10, completion_tokens: 2 } } },
    ]);
    expect(events.at(-2)).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { input_tokens: 10, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
    expect(events.at(-1)).toEqual({ type: "message_stop" });
  });

  it("[DONE] without a finish_reason ends normally as end_turn", async () => {
    const events = await translateInputs([chunk({ content: "Hi" }), { type: "done" }]);
    expect(summarize(events).slice(2)).toMatchInlineSnapshot(`
      [
        "start 0 text",
        "delta 0 text_delta "Hi"",
        "stop 0",
        "message_delta end_turn {"output_tokens":0}",
        "message_stop",
      ]
    `);
  });

  it("a failure cancels the upstream body, so the backend stops generating", async () => {
    let cancelled: unknown = "not cancelled";
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\ndata: {oops\n\n'));
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    const events = await streamToArray(parseOpenAIEventStream(body).pipeThrough(createTranslator()));
    expectWellFormedStream(events);
    expect(events.at(-1)?.type).toBe("error");
    // Cancellation travels back through each pipe asynchronously.
    await vi.waitFor(() => expect(cancelled).not.toBe("not cancelled"));
  });
});

describe("parseOpenAIEventStream", () => {
  it("skips comments, reports [DONE], and turns bad JSON into a failed result", async () => {
    const sse = ': keepalive 1/2\n\ndata: {"choices":[],"usage":{"prompt_tokens":1}}\n\n' + "data: [1,2]\n\ndata: {nope\n\ndata: \n\ndata: [DONE]\n\n";
    const parts = await streamToArray(parseOpenAIEventStream(arrayToStream([new TextEncoder().encode(sse)])));
    expect(parts).toEqual([
      { success: true, value: { choices: [], usage: { prompt_tokens: 1 } } },
      { success: false, error: new Error("unexpected chunk shape from upstream: [1,2]"), rawValue: "[1,2]" },
      { success: false, error: expect.any(Error), rawValue: "{nope" },
      { type: "done" },
    ]);
    const failed = parts[2];
    expect(failed !== undefined && "error" in failed && failed.error.message).toBe("malformed JSON chunk from upstream: {nope");
  });

  it("turns an `event: error` message into an error chunk", async () => {
    const sse = 'event: error\ndata: {"error":{"message":"slot unavailable"}}\n\nevent: error\ndata: boom\n\n';
    const parts = await streamToArray(parseOpenAIEventStream(arrayToStream([new TextEncoder().encode(sse)])));
    expect(parts).toEqual([
      { success: true, value: { error: { message: "slot unavailable" } } },
      { success: true, value: { error: { message: "boom" } } },
    ]);
  });

  it("accepts a multi-byte character split across reads and CRLF line endings", async () => {
    const bytes = new TextEncoder().encode('data: {"choices":[{"delta":{"content":"✓"}}]}\r\n\r\n');
    const inside = bytes.indexOf(0xe2) + 1; // between the bytes of "✓"
    const parts = await streamToArray(parseOpenAIEventStream(arrayToStream([bytes.slice(0, inside), bytes.slice(inside)])));
    expect(parts).toEqual([{ success: true, value: { choices: [{ delta: { content: "✓" } }] } }]);
  });
});

describe("formatSSE", () => {
  it("writes the event line and one data line", () => {
    expect(formatSSE({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "a\nb" } })).toBe(
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a\\nb"}}\n\n',
    );
    expect(formatSSE({ type: "ping" })).toBe('event: ping\ndata: {"type":"ping"}\n\n');
  });

  it("refuses an event name with a line break", () => {
    const forged = { type: "ping\ndata: injected" } as unknown as AnthropicStreamEvent;
    expect(() => formatSSE(forged)).toThrow("SSE event name must not contain a line break");
  });
});
